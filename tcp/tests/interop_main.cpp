// tcp-interop: one interop case of tcp::Client against the real Linux TCP stack.
// Runs inside the test's network namespace (tests/interop.sh creates it): the client injects frames
// into a TAP device whose other side is the Linux stack with a listening socket (LinuxPeer).
// Prints "PASS <case> ..." or "FAIL <case>: why"; exit 0 pass, 1 fail, 2 usage.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "host/tap_link.h"
#include "host/tap_port.h"
#include "oe/tcp/client.h"
#include "tests/linux_peer.h"
#include "tests/order_codec.h"

using namespace oe;
using namespace oe::tcp;
using namespace oe::tcp::host;
using namespace oe::tcp::interop;

namespace {

constexpr uint32_t kClientIp = 0x0a4d0002; // 10.77.0.2: lives only on the far side of the tap
constexpr uint8_t kClientMac[6] = { 0x02, 0x00, 0x00, 0x77, 0x00, 0x02 };

struct Options {
	std::string ifname, test_case, impair;
	uint32_t count = 10000;
	uint32_t rto_min_ms = 20;
	uint32_t timeout_s = 60;
	uint32_t seed = 1;
	bool impair_in = true; // false when netem impairs the Linux->client direction
	uint32_t batch = 1;    // orders per send_order: 1, or up to this many
	uint32_t pace_us = 0;  // gap between send_order calls (0: as fast as the send buffer allows)
	bool tlp = true;       // Config::tlp (RFC 8985 loss probe); 0 measures the RTO-only behaviour
	std::string label;     // the suite's case name, for the order-delay line
};

struct Harness;
struct HarnessK { // the continuation: trivially copyable, like the strategy's
	Harness *h;
	void operator()(Event e) const;
};
using TapClient = Client<TapPort, HarnessK>;

struct Harness {
	Options opt;
	TapLink link;
	std::unique_ptr<TapClient> client{ new TapClient() };
	std::vector<Event> events;
	std::vector<uint8_t> received; // peer data via the sink
	std::vector<uint64_t> send_ns;  // CLOCK_MONOTONIC of the send_order call that first offered order i
	uint64_t arp_replies = 0;

	void on_event(Event e)
	{
		events.push_back(e);
		if (e == Event::Established || e == Event::Data)
			listen();
	}
	// keep listening, as the strategy does: news that came while nothing was parked is answered at once
	void listen()
	{
		for (int i = 0; i < 4; i++) {
			switch (client->recv(HarnessK{ this })) {
			case RecvResult::DataReady:
				events.push_back(Event::Data);
				continue;
			case RecvResult::PeerClosed:
				events.push_back(Event::PeerClosed);
				continue;
			default:
				return;
			}
		}
	}
	bool saw(Event e) const
	{
		for (Event x : events)
			if (x == e)
				return true;
		return false;
	}
	void handle_frame(const std::vector<uint8_t> &f)
	{
		if (f.size() < 14)
			return;
		const uint16_t type = uint16_t(f[12] << 8 | f[13]);
		if (type == 0x0806 && f.size() >= 42)
			answer_arp(f);
		else if (type == 0x0800 && f.size() >= 34 && get_be32(&f[30]) == kClientIp && f[23] == 6)
			client->on_segment(&f[14], uint16_t(f.size() - 14));
	}
	// The Linux side resolves 10.77.0.2 by ARP; the harness answers for the client, like a NIC would
	// for the driver's address.
	void answer_arp(const std::vector<uint8_t> &f)
	{
		const uint8_t *a = &f[14];
		if (get_be16(a + 6) != 1 || get_be32(a + 24) != kClientIp)
			return;
		uint8_t r[42];
		std::memcpy(r, a + 8, 6); // to the asker
		std::memcpy(r + 6, kClientMac, 6);
		put_be16(r + 12, 0x0806);
		uint8_t *p = r + 14;
		std::memcpy(p, a, 6); // htype, ptype, hlen, plen
		put_be16(p + 6, 2);  // reply
		std::memcpy(p + 8, kClientMac, 6);
		put_be32(p + 14, kClientIp);
		std::memcpy(p + 18, a + 8, 10); // their MAC + IP
		link.send(r, sizeof(r), monotonic_ns());
		arp_replies++;
	}
	// One turn of the event loop: due timers, then at most one burst of frames.
	void step(uint64_t max_wait_ns)
	{
		uint64_t now = monotonic_ns();
		const uint64_t due = client->port().deadline();
		if (due && now >= due)
			client->poll(now);
		const uint64_t next = client->port().deadline();
		uint64_t wait = max_wait_ns;
		if (next)
			wait = next > now ? std::min(wait, next - now) : 0;
		std::vector<uint8_t> f;
		for (int i = 0; i < 256 && link.receive(f, now, i ? 0 : wait); i++) {
			handle_frame(f);
			now = monotonic_ns();
		}
	}
	template <class Pred> bool run_until(Pred done, uint64_t timeout_ns)
	{
		const uint64_t end = monotonic_ns() + timeout_ns;
		while (!done()) {
			if (monotonic_ns() > end)
				return false;
			step(1000000);
		}
		return true;
	}
};

void HarnessK::operator()(Event e) const { h->on_event(e); }

void sink(void *ctx, const uint8_t *d, uint16_t n)
{
	auto *h = static_cast<Harness *>(ctx);
	h->received.insert(h->received.end(), d, d + n);
}

[[noreturn]] void usage(const char *why)
{
	std::fprintf(stderr,
		     "tcp-interop: %s\n"
		     "usage: tcp-interop --ifname TAP --case CASE [--count N] [--impair loss=P,dup=P,reorder=P,delay=MS]\n"
		     "                   [--impair-in 0|1] [--batch N] [--rto-min-ms N] [--timeout-s N] [--seed N]\n"
		     "                   [--pace-us N] [--tlp 0|1] [--label NAME]\n"
		     "cases: handshake orders peer-close peer-rst no-listener zero-window peer-data close-timeout\n"
		     "       external-orders (the listener is another process, e.g. the exchange; it verifies)\n",
		     why);
	std::exit(2);
}

uint32_t parse_u32(const char *flag, const char *v, uint32_t lo, uint32_t hi)
{
	char *end = nullptr;
	const unsigned long x = std::strtoul(v, &end, 10);
	if (!*v || *end || x < lo || x > hi)
		usage((std::string("bad value for ") + flag + ": " + v).c_str());
	return uint32_t(x);
}

Options parse_args(int argc, char **argv)
{
	Options o;
	for (int i = 1; i < argc; i++) {
		const std::string a = argv[i];
		if (i + 1 >= argc)
			usage(("missing value for " + a).c_str());
		const char *v = argv[++i];
		if (a == "--ifname")
			o.ifname = v;
		else if (a == "--case")
			o.test_case = v;
		else if (a == "--count")
			o.count = parse_u32("--count", v, 1, 10000000);
		else if (a == "--impair")
			o.impair = v;
		else if (a == "--rto-min-ms")
			o.rto_min_ms = parse_u32("--rto-min-ms", v, 1, 60000);
		else if (a == "--timeout-s")
			o.timeout_s = parse_u32("--timeout-s", v, 1, 3600);
		else if (a == "--batch")
			o.batch = parse_u32("--batch", v, 1, 64);
		else if (a == "--impair-in")
			o.impair_in = parse_u32("--impair-in", v, 0, 1) != 0;
		else if (a == "--pace-us")
			o.pace_us = parse_u32("--pace-us", v, 0, 10000000);
		else if (a == "--tlp")
			o.tlp = parse_u32("--tlp", v, 0, 1) != 0;
		else if (a == "--label")
			o.label = v;
		else if (a == "--seed")
			o.seed = parse_u32("--seed", v, 0, 0xffffffffu);
		else
			usage(("unknown flag " + a).c_str());
	}
	if (o.ifname.empty() || o.test_case.empty())
		usage("--ifname and --case are required");
	static const char *const cases[] = { "handshake", "orders", "peer-close", "peer-rst", "no-listener",
					     "zero-window", "peer-data", "external-orders", "close-timeout" };
	bool known = false;
	for (const char *c : cases)
		known = known || o.test_case == c;
	if (!known)
		usage(("unknown case " + o.test_case).c_str());
	return o;
}

void print_stats(const TapClient &c, const TapLink &l)
{
	std::printf("  stats:");
	for (uint32_t i = 0; i < TapClient::stats_count(); i++)
		if (c.stats_value(i))
			std::printf(" %s=%" PRIu64, TapClient::stats_name(i), c.stats_value(i));
	std::printf("\n  link: out=%" PRIu64 " in=%" PRIu64 " dropped=%" PRIu64 " duplicated=%" PRIu64 "\n",
		    l.frames_out(), l.frames_in(), l.dropped(), l.duplicated());
}

// "order-delay case=NAME n=N p50_ms=X p99_ms=Y max_ms=Z": from the send_order call that offered an
// order to the peer application's read that completed it (nearest-rank percentiles).
void print_order_delay(const std::string &label, const std::vector<uint64_t> &sent, const std::vector<uint64_t> &read)
{
	std::vector<uint64_t> d;
	for (size_t i = 0; i < read.size() && i < sent.size(); i++)
		d.push_back(read[i] > sent[i] ? read[i] - sent[i] : 0);
	if (d.empty())
		return;
	std::sort(d.begin(), d.end());
	auto rank = [&](unsigned pct) { return d[(d.size() * pct + 99) / 100 - 1]; };
	std::printf("order-delay case=%s n=%zu p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", label.c_str(), d.size(),
		    double(rank(50)) / 1e6, double(rank(99)) / 1e6, double(d.back()) / 1e6);
}

// Send count orders, retrying while the send buffer is full; keeps the event loop turning.
// batch_max > 1: each send_order carries 1..batch_max orders (one segment, template path).
bool send_orders(Harness &h, uint32_t count, uint32_t batch_max, uint32_t pace_us, uint64_t timeout_ns)
{
	const uint64_t end = monotonic_ns() + timeout_ns;
	uint8_t buf[kOrderLen * 64];
	uint32_t k = 1, calls = 0;
	h.send_ns.assign(count, 0);
	uint64_t next_send = monotonic_ns();
	for (uint32_t i = 0; i < count;) {
		if (batch_max > 1)
			k = std::min<uint32_t>(1 + (i * 7 + 3) % batch_max, count - i);
		for (uint32_t j = 0; j < k; j++)
			encode_order(buf + j * kOrderLen, i + j);
		const uint64_t t = monotonic_ns();
		for (uint32_t j = 0; j < k; j++)
			if (!h.send_ns[i + j])
				h.send_ns[i + j] = t;
		if (h.client->send_order(buf, uint16_t(k * kOrderLen))) {
			i += k;
			if (pace_us) { // a sparse flow: keep the event loop turning until the next order is due
				next_send += uint64_t(pace_us) * 1000;
				while (monotonic_ns() < next_send && h.client->state() == State::Established)
					h.step(std::min<uint64_t>(next_send - monotonic_ns(), 1000000));
			} else if (++calls % 16 == 0) {
				h.step(0);
			}
			continue;
		}
		if (h.client->state() != State::Established || monotonic_ns() > end)
			return false;
		h.step(1000000);
	}
	return true;
}

} // namespace

int main(int argc, char **argv)
{
	Harness h;
	h.opt = parse_args(argc, argv);
	const Options &o = h.opt;
	std::string err;
	Impairment im;
	if (!o.impair.empty() && !parse_impairment(o.impair, im, err))
		usage(err.c_str());
	const std::string name = o.test_case + (o.impair.empty() ? "" : " [" + o.impair + "]") +
				 (o.batch > 1 ? " [batches of 1.." + std::to_string(o.batch) + "]" : "");
	auto fail = [&](const std::string &why) {
		std::printf("FAIL %s: %s\n", name.c_str(), why.c_str());
		print_stats(*h.client, h.link);
		return 1;
	};
	if (!h.link.open(o.ifname, err))
		return fail(err);
	h.link.impair(im, o.impair_in ? im : Impairment{}, o.seed);
	TapClient &c = *h.client;
	c.port().attach(&h.link);
	c.set_data_sink(sink, &h);
	Config cfg;
	if (!h.link.linux_mac(cfg.remote_mac, err))
		return fail(err);
	std::memcpy(cfg.local_mac, kClientMac, 6);
	cfg.local_ip = kClientIp;
	cfg.remote_ip = 0x0a4d0001;
	cfg.remote_port = 9012;
	cfg.tos = 0x10;
	cfg.rto_min_ns = uint64_t(o.rto_min_ms) * 1000000;
	cfg.rto_max_ns = 2000000000ULL;
	cfg.time_wait_ns = 200000000ULL;
	cfg.data_retries = 30;
	cfg.tlp = o.tlp;
	PeerPlan plan;
	plan.timeout_s = int(o.timeout_s);
	if (o.test_case == "peer-close")
		plan.mode = PeerPlan::Mode::CloseAfter, plan.stop_after = o.count;
	else if (o.test_case == "peer-rst")
		plan.mode = PeerPlan::Mode::RstAfter, plan.stop_after = o.count;
	else if (o.test_case == "peer-data")
		plan.mode = PeerPlan::Mode::SendData, plan.send_bytes = o.count;
	else if (o.test_case == "close-timeout")
		plan.mode = PeerPlan::Mode::HoldOpen, cfg.close_timeout_ns = 1000000000ULL;
	else if (o.test_case == "zero-window")
		plan.rcvbuf = 2048, plan.stall_ms = 1000, plan.read_chunk = 512, plan.read_pause_us = 1000;
	if (!c.init(cfg))
		return fail("init rejected the config");
	LinuxPeer peer;
	const bool external = o.test_case == "no-listener" || o.test_case == "external-orders";
	if (!external && !peer.start(plan, err))
		return fail(err);
	auto peer_done = [&] { return external || peer.done(); };

	const uint64_t timeout = uint64_t(o.timeout_s) * 1000000000ULL;
	if (c.connect(HarnessK{ &h }) != ConnectResult::Parked)
		return fail("connect refused to start");
	if (!h.run_until([&] { return !h.events.empty(); }, timeout))
		return fail("no answer to connect");

	if (o.test_case == "no-listener") {
		if (h.events[0] != Event::Reset || c.state() != State::Closed)
			return fail(std::string("expected reset, got ") + event_name(h.events[0]));
		if (c.stats()[StatRstIn] != 1)
			return fail("RST not counted");
		std::printf("PASS %s: RST to SYN -> Event::Reset, CLOSED\n", name.c_str());
		print_stats(c, h.link);
		return 0;
	}
	if (h.events[0] != Event::Established)
		return fail(std::string("connect ended with ") + event_name(h.events[0]));

	const bool sends = o.test_case != "handshake" && o.test_case != "peer-data";
	if (sends && !send_orders(h, o.count, o.batch, o.pace_us, timeout))
		return fail("could not queue all orders");
	auto finished = [&] { return c.state() == State::Closed || c.state() == State::TimeWait; };
	if (o.test_case == "peer-close" || o.test_case == "peer-rst" || o.test_case == "peer-data") {
		if (!h.run_until([&] { return finished() && peer_done(); }, timeout))
			return fail(std::string("connection not closed by the peer; state ") + state_name(c.state()));
	} else {
		// everything acknowledged, then our orderly close
		if (!h.run_until([&] { return c.snd_una() == c.snd_nxt() && c.queued_bytes() == 0; }, timeout))
			return fail("orders not all acknowledged");
		c.close();
		if (!h.run_until([&] { return finished() && peer_done(); }, timeout))
			return fail(std::string("close did not complete; state ") + state_name(c.state()));
	}
	if (o.test_case == "external-orders") { /* the listener process checks what it received */
		if (c.stats()[StatBadChecksum] || c.stats()[StatMalformed])
			return fail("the Linux stack sent frames we judged damaged");
		std::printf("PASS %s: %u orders sent and acknowledged, orderly close (listener verifies)\n", name.c_str(),
			    o.count);
		print_stats(c, h.link);
		return 0;
	}
	peer.join();
	const PeerResult &pr = peer.result();
	if (!pr.error.empty())
		return fail("peer: " + pr.error);
	if (!pr.accepted || pr.client_ip != "10.77.0.2" || pr.client_port != c.endpoints().local_port)
		return fail("peer saw a different client address");
	if (c.stats()[StatBadChecksum] || c.stats()[StatMalformed])
		return fail("the Linux stack sent frames we judged damaged");

	char detail[256];
	if (o.test_case == "handshake") {
		if (!pr.eof || !h.saw(Event::Closed))
			return fail("no orderly close after the handshake");
		std::snprintf(detail, sizeof(detail), "SYN/SYN-ACK/ACK, port %u, FIN handshake", pr.client_port);
	} else if (o.test_case == "orders" || o.test_case == "zero-window") {
		if (pr.orders != o.count || !pr.eof)
			return fail("peer got " + std::to_string(pr.orders) + " of " + std::to_string(o.count) + " orders");
		if (o.test_case == "zero-window" && !c.stats()[StatZeroWindowSeen])
			return fail("the slow reader never closed the window");
		std::snprintf(detail, sizeof(detail), "%u orders exactly once in order, %" PRIu64 " retransmits",
			      pr.orders, c.stats()[StatRetransmits]);
		if (!o.impair.empty())
			print_order_delay(o.label.empty() ? name : o.label, h.send_ns, pr.read_ns);
	} else if (o.test_case == "close-timeout") {
		if (c.state() != State::Closed || !c.stats()[StatRstOut] || !pr.reset_seen || pr.orders != o.count)
			return fail("no RST after the close timed out");
		std::snprintf(detail, sizeof(detail), "%u orders, FIN-WAIT-2 timed out -> RST, the peer's socket was reset",
			      pr.orders);
	} else if (o.test_case == "peer-close") {
		if (!h.saw(Event::PeerClosed) || c.state() == State::Established || pr.orders != o.count)
			return fail("passive close not reported");
		std::snprintf(detail, sizeof(detail), "%u orders, FIN -> Event::PeerClosed, LAST-ACK -> CLOSED", pr.orders);
	} else if (o.test_case == "peer-rst") {
		if (!h.saw(Event::Reset) || c.state() != State::Closed)
			return fail("RST not reported");
		std::snprintf(detail, sizeof(detail), "%u orders, RST -> Event::Reset, CLOSED", pr.orders);
	} else { // peer-data
		bool same = h.received.size() == o.count;
		for (size_t i = 0; same && i < h.received.size(); i++)
			same = h.received[i] == pattern_byte(i);
		if (!same)
			return fail("peer data: got " + std::to_string(h.received.size()) + " bytes, or wrong bytes");
		if (!h.saw(Event::Data) || !h.saw(Event::PeerClosed) || !pr.eof)
			return fail("data/close events missing");
		std::snprintf(detail, sizeof(detail), "%zu peer bytes in order via the sink, then FIN", h.received.size());
	}
	std::printf("PASS %s: %s\n", name.c_str(), detail);
	print_stats(c, h.link);
	return 0;
}
