// OrderSlots (src/order_slots.h): the uring mode's order buffers and send order, driven with the
// CQE sequences io_uring produces for SEND and SEND_ZC.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../src/order_slots.h"

using us::OrderSlots;

namespace {

constexpr unsigned kLen = 13;

// A model of the kernel's side: the bytes each submitted send handed to the socket, in order.
struct Wire {
	std::vector<OrderSlots::Send> sends;
	std::string bytes; // "<slot>:<offset>-<len> " per send, the order the stream gets them
	void submit(const OrderSlots::Send &s)
	{
		sends.push_back(s);
		bytes += std::to_string(s.slot) + ":" + std::to_string(s.offset) + "-" + std::to_string(s.len) + " ";
	}
};

TEST(OrderSlots, ShortSendIsContinuedBeforeTheNextOrder)
{
	OrderSlots q;
	Wire w;
	OrderSlots::Send now{}, next{};
	bool short_send = false;
	int a = q.take(), b = q.take();
	ASSERT_EQ(a, 0);
	ASSERT_EQ(b, 1);
	ASSERT_TRUE(q.enqueue(unsigned(a), kLen, now));
	w.submit(now);
	EXPECT_FALSE(q.enqueue(unsigned(b), kLen, now)) << "b must wait behind a's send";
	EXPECT_EQ(q.queued(), 1u);
	// a's send moved 5 of 13 bytes: the next submit is a's bytes 5..13, not b.
	ASSERT_EQ(q.on_result(0, 5, false, next, short_send), OrderSlots::Next::Submit);
	EXPECT_TRUE(short_send);
	w.submit(next);
	ASSERT_EQ(q.on_result(0, 8, false, next, short_send), OrderSlots::Next::Submit);
	EXPECT_FALSE(short_send);
	w.submit(next);
	ASSERT_EQ(q.on_result(1, 13, false, next, short_send), OrderSlots::Next::None);
	EXPECT_EQ(w.bytes, "0:0-13 0:5-13 1:0-13 ");
	EXPECT_EQ(q.queued(), 0u);
	EXPECT_EQ(q.take(), 0) << "both slots are free again once their sends completed";
}

TEST(OrderSlots, AllSlotsHeldUntilNotifiedThenOneIsFree)
{
	OrderSlots q;
	OrderSlots::Send now{}, next{};
	bool short_send = false;
	for (unsigned i = 0; i < OrderSlots::kSlots; i++) {
		int s = q.take();
		ASSERT_EQ(s, int(i));
		ASSERT_TRUE(q.enqueue(unsigned(s), kLen, now));
		ASSERT_EQ(now.slot, i);
		// SEND_ZC: the result arrives with F_MORE; the kernel still reads the slot until the peer ACKs
		ASSERT_EQ(q.on_result(unsigned(s), int(kLen), true, next, short_send), OrderSlots::Next::None);
	}
	EXPECT_EQ(q.take(), -1) << "64 slots still read by the kernel: no slot for a new order";
	q.on_notif(17);
	EXPECT_EQ(q.take(), 17) << "the notified slot, and only it, is free";
	EXPECT_EQ(q.take(), -1);
}

TEST(OrderSlots, PlainSendReleasesOnItsResult)
{
	OrderSlots q;
	OrderSlots::Send now{}, next{};
	bool short_send = false;
	int s = q.take();
	ASSERT_TRUE(q.enqueue(unsigned(s), kLen, now));
	EXPECT_EQ(q.take(), 1) << "slot 0 is in flight";
	ASSERT_EQ(q.on_result(0, int(kLen), false, next, short_send), OrderSlots::Next::None);
	EXPECT_EQ(q.take(), 0) << "no F_MORE: the result was the send's last CQE";
}

TEST(OrderSlots, FailuresEndTheSession)
{
	OrderSlots q;
	OrderSlots::Send now{}, next{};
	bool short_send = false;
	int s = q.take();
	ASSERT_TRUE(q.enqueue(unsigned(s), kLen, now));
	EXPECT_EQ(q.on_result(0, -32 /* EPIPE */, false, next, short_send), OrderSlots::Next::Failed);
	q.reset();
	s = q.take();
	ASSERT_TRUE(q.enqueue(unsigned(s), kLen, now));
	EXPECT_EQ(q.on_result(0, 0, false, next, short_send), OrderSlots::Next::Failed) << "0 bytes moved";
	EXPECT_TRUE(short_send);
}

TEST(OrderSlots, QueuedOrdersGoOutInTriggerOrder)
{
	OrderSlots q;
	Wire w;
	OrderSlots::Send now{}, next{};
	bool short_send = false;
	int first = q.take();
	ASSERT_TRUE(q.enqueue(unsigned(first), kLen, now));
	w.submit(now);
	for (int i = 0; i < 5; i++) {
		int s = q.take();
		ASSERT_FALSE(q.enqueue(unsigned(s), kLen, now));
	}
	unsigned cur = now.slot;
	OrderSlots::Next n;
	while ((n = q.on_result(cur, int(kLen), false, next, short_send)) == OrderSlots::Next::Submit) {
		w.submit(next);
		cur = next.slot;
	}
	EXPECT_EQ(w.bytes, "0:0-13 1:0-13 2:0-13 3:0-13 4:0-13 5:0-13 ");
}

} // namespace
