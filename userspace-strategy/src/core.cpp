#include "core.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "oe/parser.h"

namespace us {

namespace {
std::atomic<bool> g_stop{ false };
void on_signal(int) { g_stop.store(true, std::memory_order_relaxed); }
uint64_t g_deadline_mono = 0;

// Whole-unit decimal from the CLI -> fixed point 1e-8, through the strategy's own number parser.
int64_t fixed_from(const std::string &s, const char *what)
{
	oe::i64 v = 0;
	if (oe::md::parse_fixed(reinterpret_cast<const oe::u8 *>(s.data()), oe::u16(s.size()), v) !=
	    oe::md::ParseError::Ok) {
		std::fprintf(stderr, "oe-strategy: --%s: '%s' does not fit fixed point 1e-8\n", what, s.c_str());
		std::exit(2);
	}
	return v;
}
} // namespace

uint64_t now_ns()
{
	timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

uint64_t mono_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

bool stop_requested() { return g_stop.load(std::memory_order_relaxed); }

void install_signal_handlers()
{
	struct sigaction sa {};
	sa.sa_handler = on_signal; // no SA_RESTART: blocking calls return EINTR and see the flag
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	signal(SIGPIPE, SIG_IGN); // a send on a reset connection is a disconnect, not a crash
}

bool run_over(const Options &o)
{
	if (stop_requested())
		return true;
	if (o.duration > 0) {
		if (!g_deadline_mono)
			g_deadline_mono = mono_ns() + uint64_t(o.duration * 1e9);
		if (mono_ns() >= g_deadline_mono)
			return true;
	}
	return false;
}

void die(const char *what)
{
	std::fprintf(stderr, "oe-strategy: %s: %s\n", what, std::strerror(errno));
	std::exit(1);
}

void logv(const Options &o, const char *fmt, ...)
{
	if (!o.verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	std::fprintf(stderr, "oe-strategy: ");
	std::vfprintf(stderr, fmt, ap);
	std::fputc('\n', stderr);
	va_end(ap);
}

void setup_hot_thread(const Options &o)
{
	if (o.cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity (--cpu)");
	}
	if (o.rt) {
		sched_param sp{};
		sp.sched_priority = o.rt_prio;
		if (sched_setscheduler(0, SCHED_FIFO, &sp))
			die("sched_setscheduler SCHED_FIFO (--rt)");
	}
}

int resolve_ipv4(const std::string &host, uint32_t &addr_be)
{
	in_addr a{};
	if (inet_pton(AF_INET, host.c_str(), &a) == 1) {
		addr_be = a.s_addr;
		return 0;
	}
	addrinfo hints{}, *res = nullptr;
	hints.ai_family = AF_INET;
	if (getaddrinfo(host.c_str(), nullptr, &hints, &res) || !res) {
		std::fprintf(stderr, "oe-strategy: cannot resolve '%s'\n", host.c_str());
		return -1;
	}
	addr_be = reinterpret_cast<sockaddr_in *>(res->ai_addr)->sin_addr.s_addr;
	freeaddrinfo(res);
	return 0;
}

int iface_ipv4(const std::string &iface, uint32_t &addr_be)
{
	ifaddrs *ifa = nullptr;
	if (getifaddrs(&ifa))
		return -1;
	int rc = -1;
	for (ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && iface == i->ifa_name) {
			addr_be = reinterpret_cast<sockaddr_in *>(i->ifa_addr)->sin_addr.s_addr;
			rc = 0;
			break;
		}
	}
	freeifaddrs(ifa);
	return rc;
}

int open_md_socket(const Options &o, bool busy_poll)
{
	uint32_t group = 0;
	if (resolve_ipv4(o.group, group))
		std::exit(2);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket(UDP)");
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	// Kernel RX software stamp on every datagram: our own RX -> order-sent measure.
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))
		die("setsockopt SO_TIMESTAMPNS");
	// 4 MiB of socket buffer: a burst (or a slow guest) must not overflow it. SO_RCVBUF is capped by
	// net.core.rmem_max (~208 KiB = ~90 page-backed skbs); SO_RCVBUFFORCE (CAP_NET_ADMIN) is not.
	int rcvbuf = 4 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (busy_poll) {
		int us = 50; // spin in the driver's poll up to 50 us per empty receive
		if (setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)))
			logv(o, "SO_BUSY_POLL refused: %s", std::strerror(errno));
	}
	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_port = htons(o.md_port);
	sa.sin_addr.s_addr = group; // bind to the group: only its datagrams reach this socket
	if (bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)))
		die("bind(MD group:port)");
	ip_mreqn mr{};
	mr.imr_multiaddr.s_addr = group;
	if (!o.iface.empty()) {
		mr.imr_ifindex = int(if_nametoindex(o.iface.c_str()));
		if (!mr.imr_ifindex) {
			std::fprintf(stderr, "oe-strategy: --iface %s: no such interface\n", o.iface.c_str());
			std::exit(2);
		}
	}
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)))
		die("IP_ADD_MEMBERSHIP");
	return fd;
}

Core::Core(const Options &o) : opt(o)
{
	oe_config c;
	oe_config_defaults(&c);
	ec_ = oe::engine_config_from(c);
	if (!o.symbol.empty()) {
		std::memset(ec_.symbol, 0, sizeof(ec_.symbol));
		std::memcpy(ec_.symbol, o.symbol.data(), o.symbol.size());
	}
	if (!o.threshold.empty()) {
		ec_.mode = OE_TRIGGER_SIZE;
		ec_.size_threshold = fixed_from(o.threshold, "threshold");
	}
	if (!o.notional.empty()) {
		ec_.mode = OE_TRIGGER_NOTIONAL;
		ec_.notional_threshold = fixed_from(o.notional, "notional");
	}
	if (o.levels)
		ec_.levels = o.levels;
	if (o.qty)
		ec_.order_qty = o.qty;
	if (!oe::engine_config_valid(ec_)) {
		std::fprintf(stderr, "oe-strategy: the trigger options are not a valid engine config\n");
		std::exit(2);
	}
	storage_ = std::aligned_alloc(alignof(oe::Level),
				      (oe::Engine::storage_bytes(ec_) + alignof(oe::Level) - 1) & ~(alignof(oe::Level) - 1));
	if (!storage_)
		die("aligned_alloc(book)");
	engine_ = new oe::Engine(ec_, storage_);
	lat_.reserve(1u << 20);
}

Core::~Core()
{
	delete engine_;
	std::free(storage_);
}

void Core::new_session()
{
	for (uint32_t i = 0; i < oe::kEngineCounterCount; i++)
		totals_[i] += engine_->counter_value(i);
	engine_->~Engine();
	new (engine_) oe::Engine(ec_, storage_);
}

void Core::encode(const oe::Decision &d, uint8_t out[kOrderLen])
{
	oe::encode_order(out, d.side, d.price, d.qty); // the same encoder the in-driver strategy uses
}

std::string Core::stats_json() const
{
	char buf[256];
	std::string s = "{";
	auto kv = [&](const char *k, uint64_t v) {
		std::snprintf(buf, sizeof(buf), "%s\"%s\":%llu", s.size() > 1 ? "," : "", k, (unsigned long long)v);
		s += buf;
	};
	s += "\"mode\":\"";
	s += mode_name(opt.mode);
	s += "\",\"features\":\"" + features + "\"";
	kv("md_packets", counters.md_packets);
	kv("md_bytes", counters.md_bytes);
	kv("orders", counters.orders);
	kv("order_bytes", counters.order_bytes);
	kv("send_failures", counters.send_failures);
	kv("orders_queued", counters.orders_queued);
	kv("oe_orders_expired", counters.orders_expired);
	kv("oe_orders_purged", counters.orders_purged);
	kv("connects", counters.connects);
	kv("connect_failures", counters.connect_failures);
	kv("disconnects", counters.disconnects);
	kv("refused", counters.refused);
	kv("rx_stamp_missing", counters.rx_stamp_missing);
	kv("zc_completions", counters.zc_completions);
	kv("zc_copied", counters.zc_copied);
	kv("short_sends", counters.short_sends);
	kv("orders_unsent", counters.orders_unsent);
	for (uint32_t i = 0; i < oe::kEngineCounterCount; i++)
		kv(oe::Engine::counter_name(i), totals_[i] + engine_->counter_value(i));
	std::vector<uint64_t> v(lat_);
	std::sort(v.begin(), v.end());
	auto pct = [&](double p) -> uint64_t {
		if (v.empty())
			return 0;
		size_t i = size_t(p * double(v.size() - 1) + 0.5);
		return v[std::min(i, v.size() - 1)];
	};
	s += ",\"rx_to_send_ns\":{";
	std::snprintf(buf, sizeof(buf), "\"count\":%zu,\"p50\":%llu,\"p99\":%llu,\"p999\":%llu,\"max\":%llu}", v.size(),
		      (unsigned long long)pct(0.5), (unsigned long long)pct(0.99), (unsigned long long)pct(0.999),
		      (unsigned long long)(v.empty() ? 0 : v.back()));
	s += buf;
	s += extra;
	s += "}";
	return s;
}

} // namespace us
