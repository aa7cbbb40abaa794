// Publishing pace. Two independent limits, both applied when set:
//   rate  (messages/s, token bucket holding at most `burst` tokens; 0 = unlimited)
//   speed (replay by local_timestamp: a row is due at start + (lts - first_lts) / speed; 0 = off)
// `burst` is how many messages go out back to back per wake-up: with a rate, the publisher sleeps
// until a whole burst is due (burst 1 = evenly spaced packets, the gentlest for a slow guest). A late
// wake-up may also send up to 1 ms worth of messages it owes, so the average rate holds.
#pragma once
#include <cstdint>

namespace oeex {

struct PaceSettings {
	double rate = 2000; // a TCG guest keeps up with this comfortably
	double speed = 0;
	uint32_t burst = 1;
};

class Pacer {
public:
	explicit Pacer(const PaceSettings &s) : s_(s) {}
	void start(uint64_t now_ns);
	// How many messages may be sent now by the rate limit (the caller also checks due()).
	uint32_t allowance(uint64_t now_ns);
	void consume(uint32_t n) { tokens_ -= n; }
	// Replay clock: is a row with this local_timestamp due? If not, *wait_ns says how long.
	bool due(uint64_t local_timestamp_us, uint64_t now_ns, uint64_t *wait_ns);
	// Nanoseconds until the rate limit allows the next burst.
	uint64_t rate_wait_ns() const;
	const PaceSettings &settings() const { return s_; }

private:
	PaceSettings s_;
	double tokens_ = 0;
	uint64_t last_ns_ = 0;
	uint64_t start_ns_ = 0;
	uint64_t first_lts_ = 0;
	bool have_first_ = false;
};

} // namespace oeex
