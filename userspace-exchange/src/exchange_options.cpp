#include "exchange_options.h"

#include <arpa/inet.h>
#include <cstdio>
#include <getopt.h>

#include "cli_args.h"

#ifndef OEEX_DEFAULT_FILE
#define OEEX_DEFAULT_FILE "userspace-exchange/data/sample.csv.gz"
#endif

namespace oeex {

namespace {

constexpr const char *kProgram = "exchange";

void print_help()
{
	std::printf(
		"usage: exchange [options]\n"
		"Order entry (TCP) + market data (UDP multicast) exchange with tick-to-trade reconciliation.\n"
		"network:\n"
		"  --bind ADDR            order-entry listen address, also the MD source address (default 0.0.0.0)\n"
		"  --port N               order-entry TCP port (default 9012; 0 = any free port)\n"
		"  --keepalive-s N        TCP keepalive on the order-entry connection: first probe after N s\n"
		"                         idle, then every 1 s; 3 unanswered end the session with end_reason\n"
		"                         keepalive_timeout (0..3600; default 0 = off)\n"
		"  --group ADDR           multicast group (default 239.255.0.1)\n"
		"  --md-port N            multicast UDP port (default 12345)\n"
		"  --iface NAME|ADDR      IP_MULTICAST_IF: interface name or local address (default: routing table)\n"
		"  --ttl N                multicast TTL (default 1)\n"
		"  --sndbuf BYTES         SO_SNDBUF of the MD socket (default: kernel default)\n"
		"  --no-mcast-loop        IP_MULTICAST_LOOP off: no copy of each datagram for subscribers on\n"
		"                         this host (default on; off when every receiver is remote, e.g. the lab)\n"
		"market data:\n"
		"  --file PATH.gz         Tardis incremental_book_L2 CSV, gzip (default %s)\n"
		"  --rate N               messages per second, 0 = unlimited (default 2000; 0 when --speed is given)\n"
		"  --speed X              replay by local_timestamp at X times real time (default off)\n"
		"  --burst N              messages back to back per wake-up, token-bucket depth (default 1, max 512)\n"
		"  --loop                 at end of file start again (default: stop publishing, stay connected)\n"
		"  --start-delay-ms N     pause after accept before the first packet, so the subscriber can\n"
		"                         join the group (default 100)\n"
		"sessions and reports:\n"
		"  --sessions N           exit after N order-entry sessions (default 0 = until SIGINT/SIGTERM)\n"
		"  --report PATH.json     write the session report (reconciliation) at every session end\n"
		"  --max-order-age-us N   an order received more than N us after its trigger left is late\n"
		"                         (counted in orders.late; the session is not reconciled) (default off)\n"
		"trigger (same meaning as strategy-replay's flags; both sides must agree):\n"
		"  --symbol S             symbol to trade (default: first symbol seen)\n"
		"  --threshold AMOUNT     size increase that fires (default 50000000)\n"
		"  --notional DOLLARS     fire on price x size increase > DOLLARS instead\n"
		"  --levels N             fire only for rank after update < N (default 5)\n"
		"  --qty N                order quantity (default 1)\n"
		"  --capacity N           book levels per side (default 1024)\n"
		"bounce mode (XDP_TX floor):\n"
		"  --bounce-port P        UDP datagrams to P carrying the MD seq (u64 LE first) count as orders\n"
		"  --bounce-all           expect a bounce for every incremental (non-snapshot) row, not just triggers\n",
		OEEX_DEFAULT_FILE);
}

uint16_t flag_port(const char *flag, const char *text, uint64_t min)
{
	return uint16_t(flag_u64(kProgram, flag, text, min, 65535));
}

std::string flag_ipv4(const char *flag, const char *text)
{
	in_addr a{};
	if (!text || inet_pton(AF_INET, text, &a) != 1)
		usage_error(kProgram, std::string("invalid IPv4 address for ") + flag + ": '" + (text ? text : "") + "'");
	return text;
}

} // namespace

ExchangeConfig parse_exchange_options(int argc, char **argv)
{
	ExchangeConfig c;
	c.file = OEEX_DEFAULT_FILE;
	bool rate_given = false;
	enum {
		kBind = 256, kPort, kGroup, kMdPort, kIface, kTtl, kSndbuf, kNoMcastLoop, kFile, kRate, kSpeed, kBurst, kLoop,
		kStartDelay, kSessions, kReport, kSymbol, kThreshold, kNotional, kLevels, kQty, kCapacity,
		kBouncePort, kBounceAll, kMaxOrderAge, kKeepalive, kHelp,
	};
	static const option longopts[] = {
		{"bind", required_argument, nullptr, kBind},
		{"port", required_argument, nullptr, kPort},
		{"group", required_argument, nullptr, kGroup},
		{"md-port", required_argument, nullptr, kMdPort},
		{"iface", required_argument, nullptr, kIface},
		{"ttl", required_argument, nullptr, kTtl},
		{"sndbuf", required_argument, nullptr, kSndbuf},
		{"no-mcast-loop", no_argument, nullptr, kNoMcastLoop},
		{"file", required_argument, nullptr, kFile},
		{"rate", required_argument, nullptr, kRate},
		{"speed", required_argument, nullptr, kSpeed},
		{"burst", required_argument, nullptr, kBurst},
		{"loop", no_argument, nullptr, kLoop},
		{"start-delay-ms", required_argument, nullptr, kStartDelay},
		{"sessions", required_argument, nullptr, kSessions},
		{"report", required_argument, nullptr, kReport},
		{"symbol", required_argument, nullptr, kSymbol},
		{"threshold", required_argument, nullptr, kThreshold},
		{"notional", required_argument, nullptr, kNotional},
		{"levels", required_argument, nullptr, kLevels},
		{"qty", required_argument, nullptr, kQty},
		{"capacity", required_argument, nullptr, kCapacity},
		{"bounce-port", required_argument, nullptr, kBouncePort},
		{"bounce-all", no_argument, nullptr, kBounceAll},
		{"max-order-age-us", required_argument, nullptr, kMaxOrderAge},
		{"keepalive-s", required_argument, nullptr, kKeepalive},
		{"help", no_argument, nullptr, kHelp},
		{nullptr, 0, nullptr, 0},
	};
	opterr = 0;
	optind = 1;
	int opt;
	while ((opt = getopt_long(argc, argv, "", longopts, nullptr)) != -1) {
		const char *v = optarg;
		switch (opt) {
		case kBind: c.oe.bind = c.md.source = flag_ipv4("--bind", v); break;
		case kPort: c.oe.port = flag_port("--port", v, 0); break;
		case kGroup: {
			c.md.group = flag_ipv4("--group", v);
			in_addr a{};
			inet_pton(AF_INET, v, &a);
			if ((ntohl(a.s_addr) >> 28) != 0xe)
				usage_error(kProgram, std::string("--group must be an IPv4 multicast address (224.0.0.0/4): '") + v + "'");
			break;
		}
		case kMdPort: c.md.port = flag_port("--md-port", v, 1); break;
		case kIface:
			if (!v || !*v)
				usage_error(kProgram, "--iface needs an interface name or address");
			c.md.iface = v;
			break;
		case kTtl: c.md.ttl = uint8_t(flag_u64(kProgram, "--ttl", v, 0, 255)); break;
		case kSndbuf: c.md.sndbuf = int(flag_u64(kProgram, "--sndbuf", v, 1024, 1u << 30)); break;
		case kNoMcastLoop: c.md.loopback = false; break;
		case kFile:
			if (!v || !*v)
				usage_error(kProgram, "--file needs a path");
			c.file = v;
			break;
		case kRate:
			c.pace.rate = flag_double(kProgram, "--rate", v, 0, 1e9);
			rate_given = true;
			break;
		case kSpeed: c.pace.speed = flag_double(kProgram, "--speed", v, 1e-6, 1e9); break;
		case kBurst: c.pace.burst = uint32_t(flag_u64(kProgram, "--burst", v, 1, 512)); break;
		case kLoop: c.loop = true; break;
		case kStartDelay: c.start_delay_ms = flag_u64(kProgram, "--start-delay-ms", v, 0, 3600000); break;
		case kSessions: c.sessions = flag_u64(kProgram, "--sessions", v, 0, UINT64_MAX); break;
		case kReport:
			if (!v || !*v)
				usage_error(kProgram, "--report needs a path");
			c.report_path = v;
			break;
		case kSymbol: {
			std::string s = v ? v : "";
			if (s.empty() || s.size() > 23 || s.find(',') != std::string::npos)
				usage_error(kProgram, "--symbol must be 1..23 characters without commas");
			c.trigger.symbol = s;
			break;
		}
		case kThreshold:
			c.trigger.size_threshold = flag_fixed(kProgram, "--threshold", v);
			c.trigger.notional_mode = false;
			break;
		case kNotional:
			c.trigger.notional_threshold = flag_fixed(kProgram, "--notional", v);
			c.trigger.notional_mode = true;
			break;
		case kLevels: c.trigger.levels = uint32_t(flag_u64(kProgram, "--levels", v, 1, 1u << 20)); break;
		case kQty: c.trigger.order_qty = uint32_t(flag_u64(kProgram, "--qty", v, 1, UINT32_MAX)); break;
		case kCapacity: c.trigger.book_capacity = uint32_t(flag_u64(kProgram, "--capacity", v, 1, 1u << 20)); break;
		case kBouncePort: c.bounce_port = flag_port("--bounce-port", v, 1); break;
		case kBounceAll: c.bounce_all = true; break;
		case kMaxOrderAge: c.max_order_age_ns = flag_u64(kProgram, "--max-order-age-us", v, 1, 3600000000ULL) * 1000; break;
		case kKeepalive: c.oe.keepalive_s = uint32_t(flag_u64(kProgram, "--keepalive-s", v, 0, 3600)); break;
		case kHelp: print_help(); std::exit(0);
		default:
			usage_error(kProgram, std::string("unknown option or missing value: '") + argv[optind - 1] + "'");
		}
	}
	if (optind < argc)
		usage_error(kProgram, std::string("unexpected argument '") + argv[optind] + "'");
	if (c.pace.speed > 0 && !rate_given)
		c.pace.rate = 0;
	if (c.bounce_all && !c.bounce_port)
		usage_error(kProgram, "--bounce-all needs --bounce-port");
	return c;
}

} // namespace oeex
