#include "options.h"

#include <arpa/inet.h>
#include <getopt.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace us {

const char *mode_name(Mode m)
{
	switch (m) {
	case Mode::Blocking: return "blocking";
	case Mode::Uring: return "uring";
	case Mode::Packet: return "packet";
	case Mode::Xdp: return "xdp";
	case Mode::Floor: return "floor";
	}
	return "?";
}

namespace {

const char kUsage[] =
	"usage: oe-strategy --mode {blocking,uring,packet,xdp,floor} [options]\n"
	"  --oe HOST:PORT          order-entry server (default 127.0.0.1:9012)\n"
	"  --group ADDR            market-data multicast group (default 239.255.0.1)\n"
	"  --md-port PORT          market-data UDP port (default 12345)\n"
	"  --iface NAME            interface for the multicast join; the NIC for packet/xdp\n"
	"  --queue N               packet/xdp: RX queue of the lab's flows (default 0)\n"
	"  --cpu N                 pin the hot thread (and the SQPOLL thread) to CPU N\n"
	"  --rt[=PRIO]             SCHED_FIFO (default priority 50)\n"
	"  --symbol S --threshold X --levels N --qty N --notional X   trigger (as the strategy)\n"
	"  --sqpoll                uring: IORING_SETUP_SQPOLL\n"
	"  --busy-poll             spin; SO_BUSY_POLL and io_uring NAPI busy poll where available\n"
	"  --zc                    uring: IORING_OP_SEND_ZC for orders; packet: PACKET_TX_RING\n"
	"  --xdp-skb               xdp/floor: generic XDP instead of native\n"
	"  --tpacket {2,3}         packet: RX ring version (default 2: per-frame hand-off)\n"
	"  --raw-ip ADDR           packet: an address of our own for the raw TCP (we answer its ARP); the\n"
	"                          kernel drops its segments, so no tc program is needed\n"
	"  --bounce-port P         floor: the exchange's bounce port (XDP_TX replies go there)\n"
	"  --tos N                 IP_TOS of the order connection (default 16)\n"
	"  --warm-us N             packet/xdp: after N us without market data, run the fire path on shadow\n"
	"                          copies and prepare the frame without submitting it (default 0: off)\n"
	"  --order-ttl-us N        packet/xdp: an order not handed to the NIC within N us of its trigger is\n"
	"                          dropped and counted (oe_orders_expired), never sent late (default 20000,\n"
	"                          0 = off); socket modes hand every order to the kernel at once\n"
	"  --order-stale-us N      packet/xdp: a retransmission that would carry an order triggered more than\n"
	"                          N us ago is not sent, the connection is reset (tcp_stale_aborts; the order\n"
	"                          is in doubt, never late; default 500000, 0 = off)\n"
	"  --bpf-obj PATH          xdp: steering program (default: xdp/steer.bpf.o next to the binary)\n"
	"  --duration SEC          stop after SEC seconds\n"
	"  --until-disconnects N   stop after the N-th exchange disconnect\n"
	"  --max-backoff-ms N      reconnect backoff cap (default 1000)\n"
	"  --stats-json PATH       write counters as JSON at exit (- = stdout)\n"
	"  -v, --verbose\n";

[[noreturn]] void bad(const char *fmt, const char *a, const char *b = "")
{
	std::fprintf(stderr, "oe-strategy: ");
	std::fprintf(stderr, fmt, a, b);
	std::fprintf(stderr, "\n(see --help)\n");
	std::exit(2);
}

uint64_t parse_uint(const char *opt, const char *s, uint64_t max)
{
	char *end = nullptr;
	errno = 0;
	if (!*s || *s == '-')
		bad("%s: expected a non-negative integer, got '%s'", opt, s);
	unsigned long long v = std::strtoull(s, &end, 0);
	if (errno || *end || v > max)
		bad("%s: invalid or out-of-range value '%s'", opt, s);
	return v;
}

// Decimal with at most 8 fractional digits: the engine converts it exactly to fixed point.
std::string parse_decimal(const char *opt, const char *s)
{
	int dots = 0, frac = 0, digits = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			dots++;
		} else if (*p >= '0' && *p <= '9') {
			digits++;
			frac += dots;
		} else {
			bad("%s: expected a decimal number, got '%s'", opt, s);
		}
	}
	if (!digits || dots > 1 || frac > 8)
		bad("%s: expected a decimal number with at most 8 decimals, got '%s'", opt, s);
	return s;
}

enum : int {
	kOe = 256, kGroup, kMdPort, kIface, kQueue, kCpu, kRt, kSymbol, kThreshold, kLevels, kQty,
	kNotional, kSqpoll, kBusy, kZc, kXdpSkb, kTos, kBpfObj, kDuration, kUntil, kBackoff, kStats, kMode,
	kBounce, kTpacket, kRawIp, kWarmUs, kOrderTtl, kOrderStale,
};

const option kLong[] = {
	{ "mode", required_argument, nullptr, kMode },
	{ "oe", required_argument, nullptr, kOe },
	{ "group", required_argument, nullptr, kGroup },
	{ "md-port", required_argument, nullptr, kMdPort },
	{ "iface", required_argument, nullptr, kIface },
	{ "queue", required_argument, nullptr, kQueue },
	{ "cpu", required_argument, nullptr, kCpu },
	{ "rt", optional_argument, nullptr, kRt },
	{ "symbol", required_argument, nullptr, kSymbol },
	{ "threshold", required_argument, nullptr, kThreshold },
	{ "levels", required_argument, nullptr, kLevels },
	{ "qty", required_argument, nullptr, kQty },
	{ "notional", required_argument, nullptr, kNotional },
	{ "sqpoll", no_argument, nullptr, kSqpoll },
	{ "busy-poll", no_argument, nullptr, kBusy },
	{ "zc", no_argument, nullptr, kZc },
	{ "xdp-skb", no_argument, nullptr, kXdpSkb },
	{ "tos", required_argument, nullptr, kTos },
	{ "bounce-port", required_argument, nullptr, kBounce },
	{ "tpacket", required_argument, nullptr, kTpacket },
	{ "raw-ip", required_argument, nullptr, kRawIp },
	{ "warm-us", required_argument, nullptr, kWarmUs },
	{ "order-ttl-us", required_argument, nullptr, kOrderTtl },
	{ "order-stale-us", required_argument, nullptr, kOrderStale },
	{ "bpf-obj", required_argument, nullptr, kBpfObj },
	{ "duration", required_argument, nullptr, kDuration },
	{ "until-disconnects", required_argument, nullptr, kUntil },
	{ "max-backoff-ms", required_argument, nullptr, kBackoff },
	{ "stats-json", required_argument, nullptr, kStats },
	{ "verbose", no_argument, nullptr, 'v' },
	{ "help", no_argument, nullptr, 'h' },
	{ nullptr, 0, nullptr, 0 },
};

} // namespace

Options parse_options(int argc, char **argv)
{
	Options o;
	bool have_mode = false;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "vh", kLong, nullptr)) != -1) {
		const char *name = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
		switch (c) {
		case kMode:
			if (!std::strcmp(optarg, "blocking")) o.mode = Mode::Blocking;
			else if (!std::strcmp(optarg, "uring")) o.mode = Mode::Uring;
			else if (!std::strcmp(optarg, "packet")) o.mode = Mode::Packet;
			else if (!std::strcmp(optarg, "xdp")) o.mode = Mode::Xdp;
			else if (!std::strcmp(optarg, "floor")) o.mode = Mode::Floor;
			else bad("--mode: unknown mode '%s' (blocking, uring, packet, xdp, floor)", optarg);
			have_mode = true;
			break;
		case kOe: {
			const char *colon = std::strrchr(optarg, ':');
			if (!colon || colon == optarg)
				bad("--oe: expected HOST:PORT, got '%s'", optarg);
			o.oe_host.assign(optarg, colon - optarg);
			o.oe_port = uint16_t(parse_uint("--oe", colon + 1, 65535));
			if (!o.oe_port)
				bad("--oe: port 0 in '%s'", optarg);
			break;
		}
		case kGroup: o.group = optarg; break;
		case kMdPort: o.md_port = uint16_t(parse_uint("--md-port", optarg, 65535)); break;
		case kIface: o.iface = optarg; break;
		case kQueue: o.queue = uint32_t(parse_uint("--queue", optarg, 1023)); break;
		case kCpu: o.cpu = int(parse_uint("--cpu", optarg, 4095)); break;
		case kRt:
			o.rt = true;
			if (optarg)
				o.rt_prio = int(parse_uint("--rt", optarg, 99));
			if (o.rt_prio < 1)
				bad("--rt: priority must be 1..99, got '%s'", optarg);
			break;
		case kSymbol:
			if (!*optarg || std::strlen(optarg) > 23)
				bad("--symbol: 1..23 characters expected, got '%s'", optarg);
			o.symbol = optarg;
			break;
		case kThreshold: o.threshold = parse_decimal("--threshold", optarg); break;
		case kNotional: o.notional = parse_decimal("--notional", optarg); break;
		case kLevels:
			o.levels = uint32_t(parse_uint("--levels", optarg, 1000000));
			if (!o.levels)
				bad("--levels: must be >= 1, got '%s'", optarg);
			break;
		case kQty:
			o.qty = uint32_t(parse_uint("--qty", optarg, 0xffffffffu));
			if (!o.qty)
				bad("--qty: must be >= 1, got '%s'", optarg);
			break;
		case kSqpoll: o.sqpoll = true; break;
		case kBusy: o.busy_poll = true; break;
		case kZc: o.zc = true; break;
		case kXdpSkb: o.xdp_skb = true; break;
		case kBounce:
			o.bounce_port = uint16_t(parse_uint("--bounce-port", optarg, 65535));
			if (!o.bounce_port)
				bad("--bounce-port: port 0 in '%s'", optarg);
			break;
		case kTpacket:
			o.tpacket = int(parse_uint("--tpacket", optarg, 3));
			if (o.tpacket != 2 && o.tpacket != 3)
				bad("--tpacket: 2 or 3, got '%s'", optarg);
			break;
		case kRawIp: {
			unsigned char b[4];
			if (inet_pton(AF_INET, optarg, b) != 1)
				bad("--raw-ip: not an IPv4 address: '%s'", optarg);
			o.raw_ip = optarg;
			break;
		}
		case kTos: o.tos = uint8_t(parse_uint("--tos", optarg, 255)); break;
		case kWarmUs: o.warm_us = uint32_t(parse_uint("--warm-us", optarg, 10000000)); break;
		case kOrderTtl: o.order_ttl_us = uint32_t(parse_uint("--order-ttl-us", optarg, 60000000)); break;
		case kOrderStale: o.order_stale_us = uint32_t(parse_uint("--order-stale-us", optarg, 60000000)); break;
		case kBpfObj: o.bpf_obj = optarg; break;
		case kDuration: {
			char *end = nullptr;
			o.duration = std::strtod(optarg, &end);
			if (!*optarg || *end || !(o.duration > 0) || o.duration > 1e7)
				bad("--duration: expected seconds > 0, got '%s'", optarg);
			break;
		}
		case kUntil:
			o.until_disconnects = uint32_t(parse_uint("--until-disconnects", optarg, 1000000));
			break;
		case kBackoff: o.max_backoff_ms = uint32_t(parse_uint("--max-backoff-ms", optarg, 60000)); break;
		case kStats: o.stats_json = optarg; break;
		case 'v': o.verbose = true; break;
		case 'h': std::fputs(kUsage, stdout); std::exit(0);
		case ':': bad("option '%s' needs a value", name);
		default: bad("unknown option '%s'", name);
		}
	}
	if (optind < argc)
		bad("unexpected argument '%s'", argv[optind]);
	if (!have_mode)
		bad("%s", "--mode is required (blocking, uring, packet, xdp, floor)");
	if (o.mode == Mode::Floor && !o.bounce_port)
		bad("%s", "--mode floor needs --bounce-port (the exchange's)");
	if ((o.mode == Mode::Packet || o.mode == Mode::Xdp || o.mode == Mode::Floor) && o.iface.empty())
		bad("--mode %s needs --iface (the NIC to read raw frames from)", mode_name(o.mode));
	if (o.sqpoll && o.mode != Mode::Uring)
		bad("--sqpoll only applies to --mode uring (got --mode %s)", mode_name(o.mode));
	if (o.warm_us && o.mode != Mode::Packet && o.mode != Mode::Xdp)
		bad("--warm-us only applies to the raw-frame modes packet and xdp (got --mode %s)", mode_name(o.mode));
	if (!o.raw_ip.empty() && o.mode != Mode::Packet)
		bad("--raw-ip only applies to --mode packet (got --mode %s)", mode_name(o.mode));
	if (!o.threshold.empty() && !o.notional.empty())
		bad("%s", "--threshold and --notional select different trigger modes; give one");
	return o;
}

} // namespace us
