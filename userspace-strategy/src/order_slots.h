// The uring mode's order buffers and the order in which their bytes leave (no io_uring in here).
//
// 64 slots of the registered order buffer. A slot is the kernel's from the submit of a send that
// reads it until that send's last CQE: the result CQE for SEND (no IORING_CQE_F_MORE), the
// buffer-released notification (IORING_CQE_F_NOTIF) for SEND_ZC, which may come long after the
// result (the data sits in the socket until the peer ACKs it). A slot is reused only after that.
//
// Orders go out one send at a time, in trigger order: TCP is a byte stream, and a short send
// (0 < res < 13, the socket buffer filled mid-order) continued after a later order had been
// submitted would interleave the two. So a short send is continued from where it stopped before
// anything else; orders that trigger meanwhile wait in FIFO order in their slots.
#pragma once
#include <cstdint>

namespace us {

class OrderSlots {
public:
	static constexpr unsigned kSlots = 64;

	struct Send {
		unsigned slot, offset, len; // bytes [offset, len) of the slot's order
	};
	enum class Next : uint8_t {
		None,     // nothing to submit now
		Submit,   // submit `next` (the rest of a short send, or the next queued order)
		Failed,   // the send failed: the session is over
	};

	void reset()
	{
		held_ = 0;
		head_ = tail_ = 0;
		inflight_ = -1;
		for (unsigned i = 0; i < kSlots; i++)
			refs_[i] = 0, done_[i] = false;
	}

	// A slot for a new order, or -1 while every slot is queued or still read by the kernel (64
	// orders the exchange has not acknowledged: the session is stalled, a new order would be late).
	int take()
	{
		if (held_ == ~0ull)
			return -1;
		const unsigned s = unsigned(__builtin_ctzll(~held_));
		held_ |= 1ull << s;
		done_[s] = false;
		return int(s);
	}

	// Slot s holds a complete order of len bytes. True with `now` set if it can be submitted at
	// once (no send in flight); otherwise it waits behind the one in flight.
	bool enqueue(unsigned s, unsigned len, Send &now)
	{
		len_[s] = uint8_t(len);
		if (inflight_ >= 0) {
			fifo_[tail_++ % kSlots] = uint8_t(s);
			return false;
		}
		now = start(s, 0);
		return true;
	}

	// The result CQE of the send in flight (slot s): res = bytes sent or -errno; more = a
	// notification CQE follows (SEND_ZC). *short_send is set when res fell short of the order.
	Next on_result(unsigned s, int res, bool more, Send &next, bool &short_send)
	{
		short_send = false;
		if (!more)
			unref(s);
		if (res < 0)
			return Next::Failed;
		const unsigned sent = offset_ + unsigned(res);
		if (sent < len_[s]) {
			short_send = true;
			if (res == 0)
				return Next::Failed; // nothing moved: the connection is gone
			next = start(s, sent);
			return Next::Submit;
		}
		done_[s] = true;
		inflight_ = -1;
		release_if_free(s);
		if (head_ == tail_)
			return Next::None;
		next = start(fifo_[head_++ % kSlots], 0);
		return Next::Submit;
	}

	// SEND_ZC's buffer-released notification for a send of slot s.
	void on_notif(unsigned s) { unref(s); }

	// Orders waiting behind the send in flight (never handed to the kernel if the session ends).
	unsigned queued() const { return tail_ - head_; }

private:
	Send start(unsigned s, unsigned offset)
	{
		inflight_ = int(s);
		offset_ = offset;
		refs_[s]++;
		return Send{ s, offset, len_[s] };
	}
	void unref(unsigned s)
	{
		if (refs_[s])
			refs_[s]--;
		release_if_free(s);
	}
	void release_if_free(unsigned s)
	{
		if (done_[s] && !refs_[s])
			held_ &= ~(1ull << s);
	}

	uint64_t held_ = 0;          // bit s: slot s is queued, in flight or read by the kernel
	uint32_t head_ = 0, tail_ = 0; // free-running FIFO indices of orders waiting to be sent
	uint8_t fifo_[kSlots] = {};
	uint8_t refs_[kSlots] = {};  // sends of the slot whose last CQE has not arrived
	uint8_t len_[kSlots] = {};
	bool done_[kSlots] = {};     // every byte of the slot's order was accepted by the kernel
	int inflight_ = -1;          // slot of the send in flight, -1 if none
	unsigned offset_ = 0;        // where the send in flight started in its order
};

} // namespace us
