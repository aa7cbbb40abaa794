// TapPort: tcp::Client's Port on the host. TX buffers are a small ring (like the driver's DMA blocks,
// so template_gen reuse is exercised); committing a buffer writes the frame to the TapLink. The
// timer is a deadline the harness loop honours by calling Client::poll().
#pragma once
#include <cstdint>
#include <ctime>
#include <sys/random.h>

#include "host/tap_link.h"
#include "oe/tcp/port.h"

namespace oe::tcp::host {

inline uint64_t monotonic_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1000000000ULL + uint64_t(ts.tv_nsec);
}

class TapPort {
public:
	static constexpr unsigned kBufs = 64, kBufSize = 2048;

	void attach(TapLink *link) { link_ = link; }

	TxBuffer *tx_begin()
	{
		if (!link_ || claimed_)
			return nullptr;
		TxBuffer *p = &pkts_[next_ % kBufs];
		p->data = mem_[next_ % kBufs];
		p->cap = kBufSize;
		next_++;
		claimed_ = true;
		return p;
	}
	void tx_cancel(TxBuffer *) { claimed_ = false, next_--; }
	void tx_commit(TxBuffer *p)
	{
		claimed_ = false;
		link_->send(p->data, p->len, monotonic_ns());
	}
	u64 now_ns() { return monotonic_ns(); }
	void timer_arm(u64 t) { deadline_ = t; }
	u32 random_u32()
	{
		u32 v = 0;
		while (getrandom(&v, sizeof(v), 0) != sizeof(v)) {
		}
		return v;
	}
	u64 deadline() const { return deadline_; }

private:
	TapLink *link_ = nullptr;
	TxBuffer pkts_[kBufs] = {};
	u8 mem_[kBufs][kBufSize] = {};
	unsigned next_ = 0;
	bool claimed_ = false;
	u64 deadline_ = 0;
};

} // namespace oe::tcp::host
