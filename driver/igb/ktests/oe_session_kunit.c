// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "igb_oe_session": the msglvl request state machine (oe_session.h) through the
 * sequences the lab has to survive, the link-down timer backoff (oe_link.h), and the per-CPU
 * counters (oe_counters.h) written from two CPUs at once. Plain C, no driver state.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include "oe_counters.h"
#include "oe_link.h"
#include "oe_session.h"

enum { INIT, OECONNECT, RUNNING, DISCONNECTING };

/* what the driver does: `wol on`, the connect work resolves, NAPI delivers, the core moves */
static void oe_sess_connect(struct kunit *test, struct oe_session *s)
{
	KUNIT_ASSERT_TRUE(test, oe_session_request(s, true, INIT));
	KUNIT_EXPECT_TRUE(test, oe_session_wanted(s, INIT));
	KUNIT_ASSERT_TRUE(test, oe_session_resolved(s));
	KUNIT_EXPECT_TRUE(test, oe_session_wanted(s, INIT));
	KUNIT_ASSERT_EQ(test, oe_session_take(s), OE_REQ_CONNECT);
	KUNIT_EXPECT_FALSE(test, oe_session_note_state(s, OECONNECT));
	KUNIT_EXPECT_FALSE(test, oe_session_note_state(s, RUNNING));
	KUNIT_EXPECT_TRUE(test, oe_session_wanted(s, RUNNING));
}

static void oe_session_lifecycle(struct kunit *test)
{
	struct oe_session s = {};

	KUNIT_EXPECT_FALSE(test, oe_session_wanted(&s, INIT));
	KUNIT_EXPECT_EQ(test, oe_session_take(&s), OE_REQ_NONE);
	oe_sess_connect(test, &s);
	/* `wol on` again while Running: nothing to do, no work queued */
	KUNIT_EXPECT_FALSE(test, oe_session_request(&s, true, RUNNING));
	KUNIT_EXPECT_EQ(test, oe_session_take(&s), OE_REQ_NONE);

	KUNIT_EXPECT_FALSE(test, oe_session_request(&s, false, RUNNING));
	KUNIT_EXPECT_FALSE(test, oe_session_wanted(&s, RUNNING));
	KUNIT_ASSERT_EQ(test, oe_session_take(&s), OE_REQ_DISCONNECT);
	KUNIT_EXPECT_EQ(test, oe_session_take(&s), OE_REQ_NONE);	/* consumed */
	KUNIT_EXPECT_FALSE(test, oe_session_note_state(&s, DISCONNECTING));
	KUNIT_EXPECT_TRUE(test, oe_session_wanted(&s, DISCONNECTING));	/* still closing */
	KUNIT_EXPECT_TRUE(test, oe_session_note_state(&s, INIT));	/* session ended */
	KUNIT_EXPECT_FALSE(test, oe_session_wanted(&s, INIT));
	/* and the next `wol on` is a connect */
	oe_sess_connect(test, &s);
}

/* wol on -> reset / ethtool -G / -L / ifdown (no NAPI runs) -> wol off -> up: nothing connects */
static void oe_session_undone_before_delivery(struct kunit *test)
{
	struct oe_session s = {};

	KUNIT_ASSERT_TRUE(test, oe_session_request(&s, true, INIT));
	KUNIT_ASSERT_TRUE(test, oe_session_resolved(&s));
	/* the ring is down: oe_igb_napi_poll never runs, the connect stays armed */
	KUNIT_EXPECT_FALSE(test, oe_session_request(&s, false, INIT));
	KUNIT_EXPECT_FALSE(test, oe_session_wanted(&s, INIT));
	/* up: NAPI runs and finds nothing to deliver */
	KUNIT_EXPECT_EQ(test, oe_session_take(&s), OE_REQ_NONE);
	KUNIT_EXPECT_FALSE(test, oe_session_wanted(&s, INIT));

	/* the same while the connect work is still resolving: it finds the request gone */
	KUNIT_ASSERT_TRUE(test, oe_session_request(&s, true, INIT));
	KUNIT_EXPECT_FALSE(test, oe_session_request(&s, false, INIT));
	KUNIT_EXPECT_FALSE(test, oe_session_resolved(&s));
	KUNIT_EXPECT_EQ(test, oe_session_take(&s), OE_REQ_NONE);

	/* on, off, on before NAPI: the latest (a connect) wins, once */
	KUNIT_ASSERT_TRUE(test, oe_session_request(&s, true, INIT));
	KUNIT_ASSERT_TRUE(test, oe_session_resolved(&s));
	KUNIT_EXPECT_FALSE(test, oe_session_request(&s, false, INIT));
	KUNIT_ASSERT_TRUE(test, oe_session_request(&s, true, INIT));
	KUNIT_ASSERT_TRUE(test, oe_session_resolved(&s));
	KUNIT_EXPECT_EQ(test, oe_session_take(&s), OE_REQ_CONNECT);
	KUNIT_EXPECT_EQ(test, oe_session_take(&s), OE_REQ_NONE);
}

/* a disconnect not yet delivered is withdrawn by `wol on`: the session simply stays */
static void oe_session_disconnect_withdrawn(struct kunit *test)
{
	struct oe_session s = {};

	oe_sess_connect(test, &s);
	KUNIT_EXPECT_FALSE(test, oe_session_request(&s, false, RUNNING));
	KUNIT_EXPECT_FALSE(test, oe_session_request(&s, true, RUNNING));
	KUNIT_EXPECT_TRUE(test, oe_session_wanted(&s, RUNNING));
	KUNIT_EXPECT_EQ(test, oe_session_take(&s), OE_REQ_NONE);
}

/* the connect is delivered and an RST ends it before the state was ever seen other than Init:
 * msglvl must not keep reading "wanted", and the next `wol on` must connect
 */
static void oe_session_fast_rst(struct kunit *test)
{
	struct oe_session s = {};

	KUNIT_ASSERT_TRUE(test, oe_session_request(&s, true, INIT));
	KUNIT_ASSERT_TRUE(test, oe_session_resolved(&s));
	KUNIT_ASSERT_EQ(test, oe_session_take(&s), OE_REQ_CONNECT);
	KUNIT_EXPECT_TRUE(test, oe_session_wanted(&s, INIT));	/* delivered, not yet polled */
	/* the poll in the same critical section sent the SYN, the core failed it at once */
	KUNIT_EXPECT_FALSE(test, oe_session_note_state(&s, INIT));
	KUNIT_EXPECT_FALSE(test, oe_session_wanted(&s, INIT));
	KUNIT_EXPECT_TRUE(test, oe_session_request(&s, true, INIT));

	/* the RST arrives in a later frame: OEConnect, then Init */
	s = (struct oe_session){};
	KUNIT_ASSERT_TRUE(test, oe_session_request(&s, true, INIT));
	KUNIT_ASSERT_TRUE(test, oe_session_resolved(&s));
	KUNIT_ASSERT_EQ(test, oe_session_take(&s), OE_REQ_CONNECT);
	KUNIT_EXPECT_FALSE(test, oe_session_note_state(&s, OECONNECT));
	KUNIT_EXPECT_TRUE(test, oe_session_note_state(&s, INIT));
	KUNIT_EXPECT_FALSE(test, oe_session_wanted(&s, INIT));
	KUNIT_EXPECT_TRUE(test, oe_session_request(&s, true, INIT));
}

/* the connect work failed (no route, no ARP reply, core init): the request ends */
static void oe_session_connect_failed(struct kunit *test)
{
	struct oe_session s = {};

	KUNIT_ASSERT_TRUE(test, oe_session_request(&s, true, INIT));
	oe_session_failed(&s);
	KUNIT_EXPECT_FALSE(test, oe_session_wanted(&s, INIT));
	KUNIT_EXPECT_FALSE(test, oe_session_resolved(&s));
	KUNIT_EXPECT_TRUE(test, oe_session_request(&s, true, INIT));
	/* a failure report after NAPI took the connect leaves the delivered state alone */
	KUNIT_ASSERT_TRUE(test, oe_session_resolved(&s));
	KUNIT_ASSERT_EQ(test, oe_session_take(&s), OE_REQ_CONNECT);
	oe_session_failed(&s);
	KUNIT_EXPECT_TRUE(test, oe_session_wanted(&s, OECONNECT));
	/* wol off with a session in progress: a disconnect, whatever the core state */
	KUNIT_EXPECT_FALSE(test, oe_session_request(&s, false, OECONNECT));
	KUNIT_EXPECT_EQ(test, oe_session_take(&s), OE_REQ_DISCONNECT);
	/* core restarted (connect work, remove): nothing delivered, Init */
	oe_session_core_reset(&s, INIT);
	KUNIT_EXPECT_FALSE(test, oe_session_wanted(&s, INIT));
}

static void oe_link_backoff(struct kunit *test)
{
	struct oe_backoff b = {};
	const u64 now = 1000 * NSEC_PER_SEC, kick = now + 20 * NSEC_PER_USEC;
	u64 expect = OE_BACKOFF_MIN_NS, at;
	int i;

	/* link up: the core's own expiry, untouched */
	KUNIT_EXPECT_EQ(test, oe_backoff_expiry(&b, true, now, kick), kick);
	/* link down: the 20 us kick becomes 1, 2, 4 ... ms, capped */
	for (i = 0; i < 12; i++) {
		at = oe_backoff_expiry(&b, false, now, kick);
		KUNIT_EXPECT_EQ(test, at, now + expect);
		expect = min_t(u64, expect * 2, OE_BACKOFF_MAX_NS);
	}
	KUNIT_EXPECT_EQ(test, b.ns, OE_BACKOFF_MAX_NS);
	/* a later deadline (an RTO) is kept */
	KUNIT_EXPECT_EQ(test, oe_backoff_expiry(&b, false, now, now + 5 * NSEC_PER_SEC),
			now + 5 * NSEC_PER_SEC);
	/* the link returns: back to the core's expiry, and the next loss starts small again */
	KUNIT_EXPECT_EQ(test, oe_backoff_expiry(&b, true, now, kick), kick);
	KUNIT_EXPECT_EQ(test, oe_backoff_expiry(&b, false, now, kick), now + OE_BACKOFF_MIN_NS);
}

#define OE_CTR_LOOPS 200000

struct oe_ctr_writer {
	struct oe_pcpu_counters __percpu *ctr;
	struct completion done;
};

static int oe_ctr_writer_fn(void *arg)
{
	struct oe_ctr_writer *w = arg;
	int i;

	for (i = 0; i < OE_CTR_LOOPS; i++) {
		oe_ctr_add(w->ctr, OE_CTR_tx_done, 1);
		if (!(i & 1023))
			cond_resched();
	}
	complete(&w->done);
	return 0;
}

/* two CPUs count the same counter at once; a reader running meanwhile never sees it go back */
static void oe_counters_two_cpus(struct kunit *test)
{
	struct oe_ctr_writer w[2];
	struct task_struct *t;
	u64 prev = 0, v;
	int i, cpus = 0;

	w[0].ctr = oe_ctr_alloc();
	KUNIT_ASSERT_NOT_NULL(test, (void __force *)w[0].ctr);
	for (i = 0; i < 2; i++) {
		w[i].ctr = w[0].ctr;
		init_completion(&w[i].done);
		t = kthread_create(oe_ctr_writer_fn, &w[i], "oe_ctr_%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
		if (num_online_cpus() > 1) {
			kthread_bind(t, i % num_online_cpus());
			cpus++;
		}
		wake_up_process(t);
	}
	while (!completion_done(&w[0].done) || !completion_done(&w[1].done)) {
		v = oe_ctr_read(w[0].ctr, OE_CTR_tx_done);
		KUNIT_EXPECT_GE(test, v, prev);
		prev = v;
		cond_resched();
	}
	wait_for_completion(&w[0].done);
	wait_for_completion(&w[1].done);
	KUNIT_EXPECT_EQ(test, oe_ctr_read(w[0].ctr, OE_CTR_tx_done), 2ULL * OE_CTR_LOOPS);
	KUNIT_EXPECT_EQ(test, oe_ctr_read(w[0].ctr, OE_CTR_tx_busy), 0ULL);
	kunit_info(test, "writers bound to %d CPUs", cpus);
	free_percpu(w[0].ctr);
}

static struct kunit_case oe_session_cases[] = {
	KUNIT_CASE(oe_session_lifecycle),
	KUNIT_CASE(oe_session_undone_before_delivery),
	KUNIT_CASE(oe_session_disconnect_withdrawn),
	KUNIT_CASE(oe_session_fast_rst),
	KUNIT_CASE(oe_session_connect_failed),
	KUNIT_CASE(oe_link_backoff),
	KUNIT_CASE(oe_counters_two_cpus),
	{}
};

static struct kunit_suite oe_session_suite = {
	.name = "igb_oe_session",
	.test_cases = oe_session_cases,
};

kunit_test_suite(oe_session_suite);
