// Tick-to-trade reconciliation: every expected trigger and every order accounted for.
//
// Expected trigger = (MD seq = local_timestamp, side, price, qty), in publish order. Orders arrive in
// trigger order: an order equal (side, price, qty) to the earliest still-open trigger it matches closes
// that trigger; open triggers before it were overtaken and count as missed. An order matching no open
// trigger is unexpected. Triggers still open at session end are missed. Bounce mode matches by seq.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "order_wire.h"

namespace oeex {

enum class TxStampSource : uint8_t { None, AfterSend, Software };

struct LatencySummary {
	uint64_t count = 0;
	uint64_t min = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
	double mean = 0;
};

// Nearest-rank percentiles over the samples (sorted in place).
LatencySummary summarize_latencies(std::vector<uint64_t> &samples_ns);

struct ReconcileResult {
	uint64_t expected = 0, matched = 0, missed = 0, unexpected = 0;
	uint64_t rejected = 0, truncated = 0;
	uint64_t tx_software = 0, tx_after_send = 0, tx_missing = 0;
	uint64_t clock_anomalies = 0; // order stamped before its trigger left (fallback stamps only)
	uint64_t late = 0;            // matched orders older than the max age when they arrived
	LatencySummary tick_to_trade;
	std::vector<uint64_t> samples_ns; // per matched trigger, in publish order (the distribution)
	// every expected trigger in publish order: its seq and tick-to-trade (-1: missed or no TX stamp),
	// so guest-side stopwatches can be joined to the trigger they served (scripts/stopwatch.py)
	struct TriggerOutcome {
		uint64_t seq;
		int64_t tick_to_trade_ns;
	};
	std::vector<TriggerOutcome> per_trigger;
	struct Item {
		uint64_t seq;
		Order order;
	};
	std::vector<Item> missed_examples;     // first few, for the report
	std::vector<Item> unexpected_examples; // seq = 0 for orders
};

class Reconciler {
public:
	struct Outcome {
		bool matched = false;
		uint64_t seq = 0;       // the trigger's MD seq when matched
		uint64_t overtaken = 0; // open triggers skipped (now missed) by this match
	};

	void reset();
	// Orders arriving more than this after their trigger's TX stamp count as late (0 = no limit).
	void set_max_age_ns(uint64_t ns) { max_age_ns_ = ns; }
	// A published packet that must produce `expected`; returns its trigger id.
	size_t add_trigger(uint64_t seq, const Order &expected);
	// Stamp the trigger's departure. A software TX stamp always wins over the after-send clock.
	void set_tx_time(size_t trigger_id, uint64_t ns, TxStampSource source);
	Outcome on_order(const Order &order, uint64_t rx_ns);
	Outcome on_bounce(uint64_t seq, uint64_t rx_ns);
	void on_rejected() { rejected_++; }
	void on_truncated() { truncated_++; }
	size_t open_triggers() const { return triggers_.size() - next_open_; }
	size_t trigger_count() const { return triggers_.size(); }
	// Closes the session: open triggers become missed, latencies are computed from the best stamps.
	ReconcileResult finish();

private:
	struct Trigger {
		uint64_t seq;
		Order order;
		uint64_t tx_ns = 0;
		TxStampSource tx_source = TxStampSource::None;
		uint64_t rx_ns = 0;
		bool matched = false;
	};
	Outcome close_up_to(size_t index, uint64_t rx_ns);
	void note_missed(const Trigger &t);

	std::vector<Trigger> triggers_;
	size_t next_open_ = 0; // triggers before this index are matched or missed
	uint64_t missed_ = 0, unexpected_ = 0, rejected_ = 0, truncated_ = 0, matched_ = 0;
	uint64_t max_age_ns_ = 0;
	std::vector<ReconcileResult::Item> missed_examples_, unexpected_examples_;
};

inline constexpr size_t kMaxReportExamples = 20;

} // namespace oeex
