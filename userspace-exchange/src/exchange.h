// Exchange: owns the INIT -> HANDSHAKE -> TRANSMIT state machine and glues the OrderEntryServer,
// the MarketDataServer, the gzip market-data file, the trigger oracle and the reconciler together,
// all driven from one io_uring event loop on one thread.
//
//   INIT       listening; no session. An accepted connection starts one -> HANDSHAKE.
//   HANDSHAKE  publish the file's snapshot rows; orders are rejected (logged). The first row with
//              is_snapshot=false -> TRANSMIT (and is published there). EOF here -> TRANSMIT too.
//   TRANSMIT   publish the rest at the configured pace while receiving and reconciling orders.
//   Any OE disconnect, or a corrupt/unreadable file: stop publishing, close the file and the
//   connection, back to INIT (servers keep listening), write the session report (once the MD
//   sends still in flight have completed: what went out is counted in md.published).
//   SIGINT/SIGTERM in a session: stop publishing, drain orders still on their way (until 300 ms
//   without one, at most 2 s), then end the session as "shutdown" and exit.
#pragma once
#include <csignal>
#include <cstdint>
#include <memory>
#include <string>

#include "bounce_server.h"
#include "gzip_lines.h"
#include "market_data_server.h"
#include "order_entry_server.h"
#include "pacer.h"
#include "reconciler.h"
#include "trigger_oracle.h"
#include "uring.h"

namespace oeex {

struct ExchangeConfig {
	OeSocketSettings oe;
	MdSocketSettings md;
	PaceSettings pace;
	TriggerSettings trigger;
	std::string file;
	bool loop = false;
	uint64_t sessions = 0;        // exit after this many OE sessions; 0 = run until signalled
	std::string report_path;      // session report JSON, rewritten at each session end
	uint64_t start_delay_ms = 100; // after accept, before the first packet: lets the subscriber join
	uint16_t bounce_port = 0;      // 0 = off
	bool bounce_all = false;       // bounce mode: every published incremental row expects a bounce
	uint32_t bad_line_log_limit = 10;
	uint64_t max_order_age_ns = 0; // an order arriving later than this after its trigger left is late; 0 = off
	// SIGINT/SIGTERM during a session: stop publishing, keep reading orders until none has arrived for
	// drain_quiet_ms (at most drain_max_ms in all), then end the session ("shutdown").
	uint64_t drain_quiet_ms = 300;
	uint64_t drain_max_ms = 2000;
};

enum class State { Init, Handshake, Transmit };
const char *to_string(State s);

struct SessionStats {
	uint64_t number = 0;
	std::string peer;
	uint64_t started_ns = 0, ended_ns = 0;
	std::string end_reason;
	std::string file_error;
	State state_at_end = State::Init;
	uint64_t lines_read = 0, bad_lines = 0, snapshot_published = 0;
	bool eof = false;
	uint64_t loops = 0;
	uint64_t orders_received = 0, orders_accepted = 0, order_bytes = 0;
	uint64_t rx_kernel_stamps = 0, rx_user_stamps = 0;
	uint64_t bounces = 0, bounces_malformed = 0;
	uint64_t bounces_dropped = 0; // by the kernel (socket queue full) during this session
	// publishing cost: first/last send (monotonic) and process CPU time over the session
	uint64_t first_send_ns = 0, last_send_ns = 0;
	uint64_t cpu_start_ns = 0, cpu_end_ns = 0;
};

class Exchange final : OrderEntryServer::Listener, MarketDataServer::Listener, BounceServer::Listener {
public:
	explicit Exchange(const ExchangeConfig &config); // throws std::runtime_error on setup failure
	~Exchange();
	// Blocks SIGINT/SIGTERM and reads them from a signalfd on the ring; returns the exit code.
	int run();
	static void request_stop(); // async-signal-safe

private:
	// OrderEntryServer::Listener
	bool on_connect(const std::string &peer) override;
	void on_refused(const std::string &peer) override;
	void on_data(const uint8_t *bytes, size_t len, uint64_t rx_ns, bool kernel_stamp) override;
	void on_disconnect(DisconnectReason why, int err) override;
	// MarketDataServer::Listener
	void on_sent(const MarketDataServer::Slot &slot, uint64_t after_send_ns) override;
	void on_tx_stamp(uint32_t key, uint64_t stamp_ns) override;
	void on_send_error(const MarketDataServer::Slot &slot, int err) override;
	// BounceServer::Listener
	void on_bounce(uint64_t seq, size_t len, uint64_t rx_ns, bool kernel_stamp) override;
	void on_bounce_malformed(size_t len) override;
	void on_bounce_drops(uint32_t total) override;

	void dispatch(const io_uring_cqe &cqe);
	void set_state(State next, const char *why);
	// Publishes what the pace allows now; returns ns to wait before the next attempt (0 = go on).
	uint64_t publish_due(uint64_t now_ns);
	bool stage_next_line(); // read + validate + format the next row into staged_
	void send_staged();
	void handle_order(const Order &order, uint64_t rx_ns, bool kernel_stamp);
	void end_session(const std::string &reason);
	// The ended session's report (session_end event + report file), once md_ has no send of that
	// session in flight any more (end_session, run(), on_connect, exit); no-op if none is pending.
	// exchange_report.cpp
	void finish_report();
	void settle_report_at_exit(); // run the ring a little for the sends in flight, then finish_report
	void write_report(const std::string &json);
	// Stop signal: returns true while the drain goes on (run once more, waiting up to *wait_ns).
	bool draining(uint64_t *wait_ns);

	ExchangeConfig cfg_;
	Uring ring_;
	TriggerOracle oracle_;
	std::unique_ptr<MarketDataServer> md_;
	std::unique_ptr<OrderEntryServer> oe_;
	std::unique_ptr<BounceServer> bounce_;
	Pacer pacer_;
	State state_ = State::Init;
	uint64_t sessions_done_ = 0;
	// current session
	SessionStats session_;
	GzipLineReader reader_;
	Reconciler reconciler_;
	OrderReassembler reassembler_;
	bool publishing_ = false;
	bool file_opened_ = false;
	uint64_t publish_not_before_ns_ = 0;
	MarketDataServer::Slot *staged_ = nullptr;
	bool staged_snapshot_ = false;
	uint32_t bounce_drops_seen_ = 0; // cumulative SO_RXQ_OVFL value already accounted
	// An ended session whose report waits for its MD sends still in flight (their completions are
	// counted in md.published / md.unsent_at_stop): what it was at session end.
	struct PendingReport {
		bool active = false;
		SessionStats session;
		ReconcileResult result;
	} pending_;
	struct Drain {
		bool active = false;
		uint64_t started_ns = 0, last_rx_ns = 0; // monotonic
		uint64_t orders = 0, bytes = 0, session = 0; // received during the drain
		uint64_t signals_at_start = 0;
	} drain_;
	uint64_t signals_ = 0; // stop signals read from the signalfd

	void arm_signal_read();

	int signal_fd_ = -1; // SIGINT/SIGTERM, read through the ring so a signal always wakes the loop
	uint8_t signal_buffer_[128];
	static volatile std::sig_atomic_t stop_requested_;
};

} // namespace oeex
