// Command line shared by every userspace variant of oe-strategy. One binary, one option set: the
// bench script changes only --mode and the feature flags between runs, so nothing else can differ.
#pragma once
#include <cstdint>
#include <string>

namespace us {

enum class Mode : uint8_t { Blocking, Uring, Packet, Xdp, Floor };
const char *mode_name(Mode m);

struct Options {
	Mode mode = Mode::Blocking;
	std::string oe_host = "127.0.0.1";
	uint16_t oe_port = 9012;
	std::string group = "239.255.0.1";
	uint16_t md_port = 12345;
	std::string iface;          // MD join interface; the NIC for packet/xdp (required there)
	int cpu = -1;               // pin the hot thread (and SQPOLL thread) here; -1 = leave alone
	bool rt = false;            // SCHED_FIFO
	int rt_prio = 50;
	// trigger (mirrors struct oe_config; amounts in whole units, converted to 1e-8 by the engine glue)
	std::string symbol;         // empty = first symbol seen
	std::string threshold;      // size increase threshold, decimal (default: the engine's)
	std::string notional;       // notional threshold, decimal; selects notional mode
	uint32_t levels = 0;        // 0 = the engine's default
	uint32_t qty = 0;           // 0 = the engine's default
	// features
	bool sqpoll = false;        // uring: kernel SQ polling thread
	bool busy_poll = false;     // spin instead of sleeping; SO_BUSY_POLL / NAPI busy poll
	bool zc = false;            // uring: IORING_OP_SEND_ZC; packet: MSG_ZEROCOPY-free TX ring
	bool xdp_skb = false;       // xdp: force generic (SKB) mode instead of native
	std::string raw_ip;         // packet: our TCP's own IPv4 (not the kernel's); we answer its ARP
	uint16_t bounce_port = 0;   // floor: the exchange's --bounce-port (required there)
	int tpacket = 2;            // packet: TPACKET_V2 (per-frame hand-off) or V3 (block hand-off)
	uint32_t queue = 0;         // xdp/packet: RX queue the lab's flows arrive on
	uint8_t tos = 0x10;         // IP_TOS of the order-entry connection (low delay)
	uint32_t warm_us = 0;       // packet/xdp: warm the fire path after this many us without MD; 0 = off
	uint32_t order_ttl_us = 20000; // packet/xdp: drop an order not handed to the NIC within this; 0 = off
	                               // (the module's default, OE_ORDER_TTL_DEFAULT_US in oe/abi.h)
	uint32_t order_stale_us = 500000; // packet/xdp: reset rather than retransmit an order older than this;
	                                  // 0 = off (the module's default, OE_ORDER_STALE_DEFAULT_US)
	std::string bpf_obj;        // xdp: steering program object (default next to the binary)
	// run control
	double duration = 0;        // seconds; 0 = until --until-disconnects or a signal
	uint32_t until_disconnects = 0;
	uint32_t max_backoff_ms = 1000;
	std::string stats_json;     // write the counters here at exit ("-" = stdout)
	bool verbose = false;
};

// Parses argv. On a bad flag prints a clear message and exits 2; --help prints usage and exits 0.
Options parse_options(int argc, char **argv);

} // namespace us
