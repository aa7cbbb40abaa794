// What every variant shares: the strategy's oe::Engine (parse/book/trigger), the 13-byte order,
// the hot-thread setup, counters, the in-process RX->TX latency record and the session loop
// Init -> OEConnect -> Running -> (disconnect) -> Init with capped exponential backoff.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "oe/engine.h"
#include "oe/order.h"
#include "options.h"

namespace us {

constexpr unsigned kOrderLen = oe::kOrderBytes; // strategy/'s order message

// Clocks: CLOCK_REALTIME because kernel software RX stamps (SO_TIMESTAMPNS, tpacket) are realtime.
uint64_t now_ns();
uint64_t mono_ns();

// Set by SIGINT/SIGTERM; every wait in every mode is bounded so this is noticed within ~100 ms.
bool stop_requested();
void install_signal_handlers();

// SCHED_FIFO + affinity for the calling thread, as requested. Errors are fatal (exit 1): a bench
// run that silently lost its RT priority would be measuring something else.
void setup_hot_thread(const Options &o);

struct Counters {
	uint64_t md_packets = 0, md_bytes = 0, orders = 0, order_bytes = 0, send_failures = 0;
	uint64_t connects = 0, connect_failures = 0, disconnects = 0, rx_stamp_missing = 0;
	uint64_t refused = 0; // sessions the exchange closed before any market data (it had a client)
	uint64_t zc_completions = 0, zc_copied = 0; // SEND_ZC notifications / ones the kernel copied anyway
	// raw modes (tcp::Client): orders that could not leave at once, and what became of them
	uint64_t orders_queued = 0, orders_expired = 0, orders_purged = 0;
	uint64_t short_sends = 0;            // sends that moved part of an order (the rest followed)
	uint64_t orders_unsent = 0; // triggers whose order never reached the kernel: every buffer held
	                            // (stalled session) or still queued when the session ended
};

class Core {
public:
	explicit Core(const Options &o);
	~Core();

	// A new session: a fresh book and sequence (the exchange replays from its snapshot).
	void new_session();

	// Feed one MD payload. On a trigger, writes the 13-byte order into out and returns true.
	bool on_md(const uint8_t *p, uint16_t n, uint8_t out[kOrderLen])
	{
		counters.md_packets++;
		counters.md_bytes += n;
		oe::Decision d = engine_->on_packet(p, n);
		if (__builtin_expect(!d.fire, 1))
			return false;
		encode(d, out);
		return true;
	}
	// A queued order's frame reached the doorbell later (raw modes): counted, not in the RX->TX record.
	void queued_order_sent(unsigned len)
	{
		counters.orders++;
		counters.order_bytes += len;
	}
	// An order left (send returned): record RX stamp -> now. rx_ns = 0 if no kernel stamp.
	void order_sent(uint64_t rx_ns, unsigned len)
	{
		counters.orders++;
		counters.order_bytes += len;
		if (!rx_ns) {
			counters.rx_stamp_missing++;
			return;
		}
		if (lat_.size() < lat_.capacity())
			lat_.push_back(now_ns() - rx_ns);
	}

	const oe::Engine &engine() const { return *engine_; } // warming reads it (raw.h)

	const Options &opt;
	Counters counters;
	std::string features; // what the mode detected and used (reported in the stats JSON)
	std::string extra;    // mode-specific counters, ",\"name\":value..." (BPF maps, tcp::Client)

	// Counters, engine counters, latency summary and features as one JSON object.
	std::string stats_json() const;

private:
	static void encode(const oe::Decision &d, uint8_t out[kOrderLen]);

	oe::EngineConfig ec_{};
	void *storage_ = nullptr;
	oe::Engine *engine_ = nullptr;
	std::vector<uint64_t> lat_; // reserved once; never grows on the hot path
	oe::u64 totals_[oe::kEngineCounterCount] = {}; // engine counters of finished sessions
};

// One session of a mode: connect (OEConnect), run (Running) until the exchange goes away or stop.
// Modes return ConnectFailed, Disconnected or Stopped; the session loop (main.cpp) turns a
// Disconnected session that carried no market data into Refused.
enum class Outcome { ConnectFailed, Disconnected, Refused, Stopped };

// Capped exponential reconnect backoff: the wait after a failed connect or a refusal.
constexpr uint32_t next_backoff_ms(uint32_t ms, uint32_t cap) { return ms * 2 > cap ? cap : ms * 2; }

class Variant {
public:
	virtual ~Variant() = default;
	// Owns the whole Init -> OEConnect -> Running sequence of one session.
	virtual Outcome session(Core &core) = 0;
};

std::unique_ptr<Variant> make_blocking(const Options &o, Core &core);
std::unique_ptr<Variant> make_uring(const Options &o, Core &core);
std::unique_ptr<Variant> make_packet(const Options &o, Core &core);
std::unique_ptr<Variant> make_xdp(const Options &o, Core &core);
std::unique_ptr<Variant> make_floor(const Options &o, Core &core);

// Deadline handling shared by the modes: true once --duration elapsed or a signal arrived.
bool run_over(const Options &o);

// Small socket helpers shared by the socket-based modes.
int resolve_ipv4(const std::string &host, uint32_t &addr_be); // 0 or -1 (message printed)
int iface_ipv4(const std::string &iface, uint32_t &addr_be);   // first IPv4 address of iface
int open_md_socket(const Options &o, bool busy_poll);          // bound UDP socket joined to the group

[[noreturn]] void die(const char *what);      // perror + exit 1
void logv(const Options &o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

} // namespace us
