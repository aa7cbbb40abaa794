// oeclient: a scripted subscriber + order-entry client for tests, the lab and the benchmark.
// Joins the multicast group, connects to the exchange, runs the strategy's own engine (via
// TriggerOracle -> oe::Engine) over every packet and fires the orders it decides — optionally
// skipping some or inventing extra ones, so reconciliation can be shown to catch both.
#include <arpa/inet.h>
#include <cstdio>
#include <cstring>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include "cli_args.h"
#include "json_out.h"
#include "test_net.h"
#include "trigger_oracle.h"

using namespace oeex;
using namespace oeex::testing;

namespace {

struct Options {
	std::string host = "127.0.0.1";
	uint16_t port = 9012;
	std::string group = "239.255.0.1";
	uint16_t md_port = 12345;
	std::string iface_addr = "127.0.0.1";
	TriggerSettings trigger;
	uint64_t skip_every = 0;  // don't send every Nth decided order
	uint64_t invent = 0;      // send this many orders nobody asked for
	bool early_order = false; // one order right after connecting (before TRANSMIT: rejected)
	uint64_t idle_ms = 1000;  // finish after this long without market data
	uint64_t max_packets = 0; // finish after this many packets (0 = no limit)
	bool count_only = false;  // subscriber only: no engine, no orders
	uint16_t bounce_port = 0; // answer with UDP bounces (seq first) instead of TCP orders
	bool bounce_all = false;
	bool reset = false;       // finish with RST instead of FIN
	bool partial_tail = false; // finish with 5 bytes of an order (a truncated order)
};

constexpr const char *kProgram = "oeclient";

Options parse(int argc, char **argv)
{
	Options o;
	enum { kHost = 256, kPort, kGroup, kMdPort, kIface, kSymbol, kThreshold, kNotional, kLevels, kQty, kCapacity,
	       kSkip, kInvent, kEarly, kIdle, kMax, kCount, kBounce, kBounceAll, kReset, kPartial, kHelp };
	static const option longopts[] = {
		{"host", required_argument, nullptr, kHost}, {"port", required_argument, nullptr, kPort},
		{"group", required_argument, nullptr, kGroup}, {"md-port", required_argument, nullptr, kMdPort},
		{"iface-addr", required_argument, nullptr, kIface}, {"symbol", required_argument, nullptr, kSymbol},
		{"threshold", required_argument, nullptr, kThreshold}, {"notional", required_argument, nullptr, kNotional},
		{"levels", required_argument, nullptr, kLevels}, {"qty", required_argument, nullptr, kQty},
		{"capacity", required_argument, nullptr, kCapacity}, {"skip-every", required_argument, nullptr, kSkip},
		{"invent", required_argument, nullptr, kInvent}, {"early-order", no_argument, nullptr, kEarly},
		{"idle-ms", required_argument, nullptr, kIdle}, {"max-packets", required_argument, nullptr, kMax},
		{"count-only", no_argument, nullptr, kCount}, {"bounce-port", required_argument, nullptr, kBounce},
		{"bounce-all", no_argument, nullptr, kBounceAll}, {"reset", no_argument, nullptr, kReset},
		{"partial-tail", no_argument, nullptr, kPartial}, {"help", no_argument, nullptr, kHelp},
		{nullptr, 0, nullptr, 0},
	};
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, nullptr)) != -1) {
		const char *v = optarg;
		switch (c) {
		case kHost: o.host = v; break;
		case kPort: o.port = uint16_t(flag_u64(kProgram, "--port", v, 1, 65535)); break;
		case kGroup: o.group = v; break;
		case kMdPort: o.md_port = uint16_t(flag_u64(kProgram, "--md-port", v, 1, 65535)); break;
		case kIface: o.iface_addr = v; break;
		case kSymbol: o.trigger.symbol = v; break;
		case kThreshold: o.trigger.size_threshold = flag_fixed(kProgram, "--threshold", v); break;
		case kNotional:
			o.trigger.notional_threshold = flag_fixed(kProgram, "--notional", v);
			o.trigger.notional_mode = true;
			break;
		case kLevels: o.trigger.levels = uint32_t(flag_u64(kProgram, "--levels", v, 1, 1u << 20)); break;
		case kQty: o.trigger.order_qty = uint32_t(flag_u64(kProgram, "--qty", v, 1, UINT32_MAX)); break;
		case kCapacity: o.trigger.book_capacity = uint32_t(flag_u64(kProgram, "--capacity", v, 1, 1u << 20)); break;
		case kSkip: o.skip_every = flag_u64(kProgram, "--skip-every", v, 1, UINT64_MAX); break;
		case kInvent: o.invent = flag_u64(kProgram, "--invent", v, 0, 1000000); break;
		case kEarly: o.early_order = true; break;
		case kIdle: o.idle_ms = flag_u64(kProgram, "--idle-ms", v, 1, 3600000); break;
		case kMax: o.max_packets = flag_u64(kProgram, "--max-packets", v, 1, UINT64_MAX); break;
		case kCount: o.count_only = true; break;
		case kBounce: o.bounce_port = uint16_t(flag_u64(kProgram, "--bounce-port", v, 1, 65535)); break;
		case kBounceAll: o.bounce_all = true; break;
		case kReset: o.reset = true; break;
		case kPartial: o.partial_tail = true; break;
		case kHelp:
			std::printf("usage: oeclient [--host H] [--port N] [--group G] [--md-port N] [--iface-addr A]\n"
				    "  [--symbol S --threshold X --notional X --levels N --qty N --capacity N]\n"
				    "  [--skip-every N] [--invent N] [--early-order] [--idle-ms N] [--max-packets N]\n"
				    "  [--count-only] [--bounce-port P [--bounce-all]] [--reset] [--partial-tail]\n");
			std::exit(0);
		default: usage_error(kProgram, std::string("unknown option or missing value: '") + argv[optind - 1] + "'");
		}
	}
	return o;
}

} // namespace

int main(int argc, char **argv)
{
	Options o = parse(argc, argv);
	MulticastReceiver md;
	if (!md.join(o.group, o.md_port, o.iface_addr)) {
		std::fprintf(stderr, "oeclient: cannot join %s:%u\n", o.group.c_str(), o.md_port);
		return 1;
	}
	TcpClient oe;
	if (!oe.connect(o.host, o.port, 5000)) {
		std::fprintf(stderr, "oeclient: cannot connect to %s:%u\n", o.host.c_str(), o.port);
		return 1;
	}
	int bounce_fd = -1;
	sockaddr_in bounce_to{};
	if (o.bounce_port) {
		bounce_fd = socket(AF_INET, SOCK_DGRAM, 0);
		bounce_to.sin_family = AF_INET;
		bounce_to.sin_port = htons(o.bounce_port);
		inet_pton(AF_INET, o.host.c_str(), &bounce_to.sin_addr);
	}
	TriggerOracle engine(o.trigger);
	uint64_t packets = 0, bytes = 0, decided = 0, sent = 0, skipped = 0, invented = 0, bounced = 0;
	bool closed_by_exchange = false;
	if (o.early_order)
		oe.send_order(Order{1, 100000000, kSideBuy});
	uint64_t last_data = now_ms();
	for (;;) {
		pollfd fds[2] = {{md.fd(), POLLIN, 0}, {oe.fd(), POLLIN, 0}};
		int n = poll(fds, 2, 50);
		if (n > 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			char sink[64];
			if (recv(oe.fd(), sink, sizeof sink, MSG_DONTWAIT) <= 0) {
				closed_by_exchange = true;
				break;
			}
		}
		if (n > 0 && (fds[0].revents & POLLIN)) {
			char buf[2048];
			ssize_t len = recv(md.fd(), buf, sizeof buf, 0);
			if (len <= 0)
				continue;
			last_data = now_ms();
			packets++;
			bytes += uint64_t(len);
			if (!o.count_only) {
				std::string_view payload(buf, size_t(len));
				auto fire = engine.on_payload(payload);
				// like the XDP floor: every incremental row (snapshot rows are never bounced), or triggers
				bool snapshot = csv_field(std::string(payload), 4) == "true";
				bool bounce_this = o.bounce_port && ((o.bounce_all && !snapshot) || fire);
				if (bounce_this) {
					uint8_t wire[kOrderSize] = {};
					uint64_t seq = fire ? fire->seq : std::strtoull(csv_field(std::string(payload), 3).c_str(), nullptr, 10);
					std::memcpy(wire, &seq, 8);
					sendto(bounce_fd, wire, sizeof wire, 0, reinterpret_cast<sockaddr *>(&bounce_to), sizeof bounce_to);
					bounced++;
				}
				if (fire && !o.bounce_port) {
					decided++;
					if (o.skip_every && decided % o.skip_every == 0) {
						skipped++;
					} else {
						oe.send_order(fire->order);
						sent++;
					}
					if (invented < o.invent) {
						oe.send_order(Order{777, 123456789, kSideSell});
						invented++;
					}
				}
			}
			if (o.max_packets && packets >= o.max_packets)
				break;
		}
		if (now_ms() - last_data > o.idle_ms)
			break;
	}
	if (o.partial_tail && !closed_by_exchange) {
		uint8_t part[5] = {1, 0, 0, 0, 7};
		oe.send_bytes(part, sizeof part);
	}
	if (o.reset)
		oe.reset();
	else
		oe.close();
	JsonObject out;
	out.add("packets", packets)
		.add("bytes", bytes)
		.add("decided", decided)
		.add("sent", sent)
		.add("skipped", skipped)
		.add("invented", invented)
		.add("bounced", bounced)
		.add("closed_by_exchange", closed_by_exchange);
	std::printf("%s\n", out.str().c_str());
	return 0;
}
