#include "pacer.h"

namespace oeex {

void Pacer::start(uint64_t now_ns)
{
	tokens_ = s_.burst;
	last_ns_ = now_ns;
	start_ns_ = now_ns;
	have_first_ = false;
}

uint32_t Pacer::allowance(uint64_t now_ns)
{
	if (s_.rate <= 0)
		return s_.burst;
	if (now_ns > last_ns_) {
		// The bucket holds a burst plus 1 ms of catch-up: a wake-up that comes late (scheduling
		// latency, a loaded host) sends the few messages it owes, so the average stays at --rate.
		double cap = s_.burst + s_.rate / 1000.0;
		tokens_ += double(now_ns - last_ns_) * s_.rate / 1e9;
		if (tokens_ > cap)
			tokens_ = cap;
		last_ns_ = now_ns;
	}
	return tokens_ >= 1 ? uint32_t(tokens_) : 0;
}

uint64_t Pacer::rate_wait_ns() const
{
	// Sleep until a whole burst has accrued, not just one token: one wake-up per burst keeps the
	// per-wake cost (timer, io_uring_enter) amortised over `burst` messages at high rates.
	if (s_.rate <= 0 || tokens_ >= s_.burst)
		return 0;
	return uint64_t((s_.burst - tokens_) * 1e9 / s_.rate) + 1;
}

bool Pacer::due(uint64_t lts_us, uint64_t now_ns, uint64_t *wait_ns)
{
	*wait_ns = 0;
	if (s_.speed <= 0)
		return true;
	if (!have_first_) {
		have_first_ = true;
		first_lts_ = lts_us;
		start_ns_ = now_ns;
		return true;
	}
	// A replayed file may go backwards (looping): such rows are due at once.
	uint64_t offset_ns = lts_us > first_lts_ ? uint64_t(double(lts_us - first_lts_) * 1000.0 / s_.speed) : 0;
	uint64_t due_ns = start_ns_ + offset_ns;
	if (now_ns >= due_ns)
		return true;
	*wait_ns = due_ns - now_ns;
	return false;
}

} // namespace oeex
