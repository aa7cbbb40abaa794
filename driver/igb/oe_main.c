// SPDX-License-Identifier: GPL-2.0
/*
 * igb_oe: order-entry glue, lifecycle. Module parameters -> struct oe_config, core init/exit at
 * probe/remove, the hrtimer and NAPI kicks, and the part of the platform API (oe/abi.h) that is
 * not about the TX ring: oe_now_ns, oe_timer_arm, oe_random_u32, oe_log.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/igmp.h>
#include <linux/inet.h>
#include <linux/inetdevice.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/rtnetlink.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/stringify.h>
#include <net/ip.h>
#include "oe_priv.h"

/* ---- module parameters (the user's defaults; read at probe and at every connect) ---- */

static char oe_md_group_param[16] = "239.255.0.1";
module_param_string(md_group, oe_md_group_param, sizeof(oe_md_group_param), 0644);
MODULE_PARM_DESC(md_group, "Market-data multicast group (default 239.255.0.1)");

static ushort oe_md_port = 12345;
module_param_named(md_port, oe_md_port, ushort, 0644);
MODULE_PARM_DESC(md_port, "Market-data UDP port (default 12345)");

static char oe_symbol_param[24];
module_param_string(symbol, oe_symbol_param, sizeof(oe_symbol_param), 0644);
MODULE_PARM_DESC(symbol, "Symbol to trade (default empty: the first symbol seen)");

static uint oe_levels = 5;
module_param_named(levels, oe_levels, uint, 0644);
MODULE_PARM_DESC(levels, "Fire only for updates within this many levels of the top (default 5)");

static ulong oe_threshold = 50000000;
module_param_named(threshold, oe_threshold, ulong, 0644);
MODULE_PARM_DESC(threshold, "Size trigger: fire if a level's size grows by more than this (default 50000000)");

static bool oe_notional;
module_param_named(notional, oe_notional, bool, 0644);
MODULE_PARM_DESC(notional, "Trigger on price x size increase instead of size (default 0)");

static ulong oe_notional_threshold = 1000000;
module_param_named(notional_threshold, oe_notional_threshold, ulong, 0644);
MODULE_PARM_DESC(notional_threshold, "Notional trigger in dollars (default 1000000)");

static uint oe_qty = 1;
module_param_named(qty, oe_qty, uint, 0644);
MODULE_PARM_DESC(qty, "Order quantity (default 1)");

static uint oe_max_orders_per_sec = 1000;
module_param_named(max_orders_per_sec, oe_max_orders_per_sec, uint, 0644);
MODULE_PARM_DESC(max_orders_per_sec, "Order rate limit, 0 = unlimited (default 1000)");

static char oe_exchange_ip_param[16] = "192.168.100.1";
module_param_string(exchange_ip, oe_exchange_ip_param, sizeof(oe_exchange_ip_param), 0644);
MODULE_PARM_DESC(exchange_ip, "Exchange order-entry IPv4 address (default 192.168.100.1)");

static ushort oe_exchange_port = 9012;
module_param_named(exchange_port, oe_exchange_port, ushort, 0644);
MODULE_PARM_DESC(exchange_port, "Exchange order-entry TCP port (default 9012)");

static ushort oe_local_port;
module_param_named(local_port, oe_local_port, ushort, 0644);
MODULE_PARM_DESC(local_port, "Local TCP port, 0 = random in 61000..65535 per connect (default 0)");

static uint oe_order_ttl_us = OE_ORDER_TTL_DEFAULT_US;
module_param_named(order_ttl_us, oe_order_ttl_us, uint, 0644);
MODULE_PARM_DESC(order_ttl_us, "Drop (never send late) an order not handed to the NIC within this many us of its trigger; counted oe_orders_expired; 0 = off (default "
		 __stringify(OE_ORDER_TTL_DEFAULT_US) ")");

static uint oe_order_stale_us = OE_ORDER_STALE_DEFAULT_US;
module_param_named(order_stale_us, oe_order_stale_us, uint, 0644);
MODULE_PARM_DESC(order_stale_us, "Reset the connection (never resend late) instead of retransmitting an order triggered more than this many us ago; counted tcp_stale_aborts, its bytes tcp_bytes_unacked_at_loss; 0 = off (default "
		 __stringify(OE_ORDER_STALE_DEFAULT_US) ")");

static unsigned char oe_tos;
module_param_named(tos, oe_tos, byte, 0644);
MODULE_PARM_DESC(tos, "IPv4 TOS of order-entry segments (default 0)");

static char oe_md_source_param[16];
module_param_string(md_source, oe_md_source_param, sizeof(oe_md_source_param), 0644);
MODULE_PARM_DESC(md_source, "Market-data source address accepted (default empty: exchange_ip)");

static bool oe_kill_switch;

/* RTNL orders this against core restarts; param_lock is held here, so only try RTNL */
static int oe_kill_switch_set(const char *val, const struct kernel_param *kp)
{
	struct oe_adapter *oe;
	int err;

	if (!rtnl_trylock())
		return restart_syscall();
	err = param_set_bool(val, kp);
	oe = oe_dev;
	if (!err && oe && oe->core_up)
		err = oe_set_kill_switch(oe_kill_switch || oe->link_killed);
	/* orders already queued (behind the window, waiting for a buffer) must not leave either */
	if (!err && oe && oe->core_up && oe_kill_switch) {
		spin_lock_bh(&oe->core_lock);
		if (oe->core_active)
			oe_purge_orders(OE_PURGE_KILL_SWITCH);
		spin_unlock_bh(&oe->core_lock);
	}
	rtnl_unlock();
	return err;
}

static const struct kernel_param_ops oe_kill_switch_ops = {
	.set = oe_kill_switch_set,
	.get = param_get_bool,
};
module_param_cb(kill_switch, &oe_kill_switch_ops, &oe_kill_switch, 0644);
MODULE_PARM_DESC(kill_switch, "1: triggers are counted but no order leaves (default 0)");

bool oe_md_mirror;
module_param_named(md_mirror, oe_md_mirror, bool, 0644);
MODULE_PARM_DESC(md_mirror, "Also pass market data to the stack, e.g. for tcpdump (default 0)");

/* ---- state ---- */

static void oe_log_flush(struct work_struct *work);
static DECLARE_WORK(oe_log_work, oe_log_flush);

struct oe_adapter *oe_dev;
static struct igb_adapter *oe_owner;

static int oe_parse_ip(const char *param, __be32 *ip)
{
	char buf[16];

	strscpy(buf, param, sizeof(buf));
	if (in4_pton(strim(buf), -1, (u8 *)ip, -1, NULL) != 1)
		return -EINVAL;
	return 0;
}

/* local_port, or (fixed = false) a random port above Linux's default ephemeral range
 * (32768..60999), so the stack's autobind never picks it
 */
u16 oe_pick_local_port(bool *fixed)
{
	u16 port = READ_ONCE(oe_local_port);

	*fixed = port;
	return port ? port : 61000 + get_random_u32_below(65536 - 61000);
}

/* Module parameters on top of oe_config_defaults(). What is learnt at connect (local IP, the
 * exchange's MAC) keeps its default here.
 */
int oe_build_config(struct oe_adapter *oe, struct oe_config *cfg)
{
	char symbol[sizeof(oe_symbol_param)], md_source[sizeof(oe_md_source_param)];
	__be32 group, exchange, source;
	bool fixed;
	u16 lport;
	int err;

	oe_config_defaults(cfg);

	kernel_param_lock(THIS_MODULE);
	err = oe_parse_ip(oe_md_group_param, &group);
	if (err || !ipv4_is_multicast(group)) {
		netdev_err(oe->netdev, "igb_oe: md_group \"%s\" is not an IPv4 multicast address\n",
			   oe_md_group_param);
		err = -EINVAL;
		goto out;
	}
	err = oe_parse_ip(oe_exchange_ip_param, &exchange);
	if (err || ipv4_is_multicast(exchange) || ipv4_is_zeronet(exchange)) {
		netdev_err(oe->netdev, "igb_oe: exchange_ip \"%s\" is not a unicast IPv4 address\n",
			   oe_exchange_ip_param);
		err = -EINVAL;
		goto out;
	}
	source = exchange;
	strscpy(md_source, oe_md_source_param, sizeof(md_source));
	if (strim(md_source)[0] &&
	    (oe_parse_ip(md_source, &source) || ipv4_is_multicast(source) ||
	     ipv4_is_zeronet(source))) {
		netdev_err(oe->netdev, "igb_oe: md_source \"%s\" is not a unicast IPv4 address\n",
			   oe_md_source_param);
		err = -EINVAL;
		goto out;
	}
	oe->md_source = source;
	if (oe_threshold > S64_MAX / OE_FIXED_ONE ||
	    oe_notional_threshold > S64_MAX / OE_FIXED_ONE || !oe_levels || !oe_qty ||
	    !oe_md_port || !oe_exchange_port) {
		netdev_err(oe->netdev, "igb_oe: invalid trigger or port parameters\n");
		err = -EINVAL;
		goto out;
	}

	cfg->md_group_be = (__force u32)group;
	cfg->md_port_be = (__force u16)htons(oe_md_port);
	strscpy(symbol, oe_symbol_param, sizeof(symbol));
	strscpy(cfg->symbol, strim(symbol), sizeof(cfg->symbol));
	cfg->levels = oe_levels;
	cfg->size_threshold = (s64)oe_threshold * OE_FIXED_ONE;
	cfg->notional_threshold = (s64)oe_notional_threshold * OE_FIXED_ONE;
	cfg->mode = oe_notional ? OE_TRIGGER_NOTIONAL : OE_TRIGGER_SIZE;
	cfg->order_qty = oe_qty;
	cfg->max_orders_per_sec = oe_max_orders_per_sec;
	cfg->remote_ip_be = (__force u32)exchange;
	cfg->remote_port_be = (__force u16)htons(oe_exchange_port);
	lport = oe_pick_local_port(&fixed);
	cfg->local_port_be = (__force u16)htons(lport);
	cfg->tos = oe_tos;
	cfg->order_ttl_us = oe_order_ttl_us;
	cfg->order_stale_us = oe_order_stale_us;
out:
	kernel_param_unlock(THIS_MODULE);
	if (err)
		return err;

	ether_addr_copy(cfg->local_mac, oe->netdev->dev_addr);
	cfg->mss = min_t(u32, cfg->mss, READ_ONCE(oe->netdev->mtu) - 40);
	return 0;
}

/* RTNL held, core inactive. endpoint: cfg has the resolved 4-tuple (connect), so order-entry
 * segments are steered to the core; at probe only market data is.
 */
int oe_core_start(struct oe_adapter *oe, const struct oe_config *cfg, bool endpoint)
{
	int err;

	ASSERT_RTNL();
	err = oe_core_init(cfg);
	if (err)
		return err;
	oe->cfg = *cfg;
	oe->core_up = true;
	oe->filter.md_group = (__force __be32)cfg->md_group_be;
	oe->filter.md_port = (__force __be16)cfg->md_port_be;
	oe->filter.md_source = oe->md_source;
	oe->filter.tcp_local_ip = (__force __be32)cfg->local_ip_be;
	oe->filter.tcp_remote_ip = (__force __be32)cfg->remote_ip_be;
	oe->filter.tcp_local_port = (__force __be16)cfg->local_port_be;
	oe->filter.tcp_remote_port = (__force __be16)cfg->remote_port_be;
	WRITE_ONCE(oe->filter.tcp_armed, endpoint);
	oe->link_killed = false;
	if (READ_ONCE(oe_kill_switch))
		oe_set_kill_switch(1);

	spin_lock_bh(&oe->core_lock);
	oe_session_core_reset(&oe->sess, oe_strategy_state());
	oe->backoff.ns = 0;
	oe->core_active = true;
	spin_unlock_bh(&oe->core_lock);
	oe_warm_start(oe);
	return 0;
}

/* RTNL held. After this no CPU is inside the core and none will enter it. */
void oe_core_stop(struct oe_adapter *oe)
{
	ASSERT_RTNL();
	oe_warm_stop(oe);
	spin_lock_bh(&oe->core_lock);
	oe->core_active = false;
	WRITE_ONCE(oe->filter.tcp_armed, false);
	oe_session_core_reset(&oe->sess, 0);
	spin_unlock_bh(&oe->core_lock);
	hrtimer_cancel(&oe->timer);
	if (oe->core_up) {
		oe_core_exit();
		oe->core_up = false;
	}
}

unsigned int oe_txq_index(struct igb_adapter *adapter)
{
	unsigned int n = READ_ONCE(adapter->num_tx_queues);

	return n ? n - 1 : 0;
}

unsigned int oe_igb_stack_tx_queues(struct igb_adapter *adapter)
{
	unsigned int n = adapter->num_tx_queues;

	return adapter->oe && n > 1 ? n - 1 : n;
}

/* Schedule the NAPI of the order-entry TX queue's vector; its poll runs oe_poll(). The q_vector is
 * freed with kfree_rcu, so the lookup is done under RCU every time (ethtool -L reallocates them).
 */
void oe_kick(struct oe_adapter *oe)
{
	struct igb_adapter *adapter = oe->adapter;
	struct igb_ring *ring;

	rcu_read_lock();
	ring = READ_ONCE(adapter->tx_ring[oe_txq_index(adapter)]);
	if (ring && ring->q_vector && !test_bit(__IGB_DOWN, &adapter->state))
		napi_schedule(&ring->q_vector->napi);
	rcu_read_unlock();
}

void oe_kick_process(struct oe_adapter *oe)
{
	local_bh_disable();
	oe_kick(oe);
	local_bh_enable();
}

static enum hrtimer_restart oe_timer_fn(struct hrtimer *timer)
{
	struct oe_adapter *oe = container_of(timer, struct oe_adapter, timer);

	oe_count(oe, timer_fires);
	WRITE_ONCE(oe->timer_due, true);	/* igb_poll runs oe_poll() even with no session */
	if (unlikely(!netif_carrier_ok(oe->netdev) ||
		     test_bit(__IGB_DOWN, &oe->adapter->state)))
		oe_count(oe, carrier_retries);
	oe_kick(oe);
	return HRTIMER_NORESTART;
}

/* core_lock held: track the core's state; print the tick-to-trade summary when a session ends */
void oe_note_state(struct oe_adapter *oe)
{
	if (unlikely(oe_session_note_state(&oe->sess, oe_strategy_state())))
		schedule_work(&oe->summary_work);
}

/* NAPI, core_lock held, core active: hand the latest msglvl request to the core; oe_poll() then
 * sends the SYN or FIN from this context
 */
void oe_deliver_request(struct oe_adapter *oe)
{
	switch (oe_session_take(&oe->sess)) {
	case OE_REQ_CONNECT:
		if (oe_request_connect()) {
			oe_session_core_reset(&oe->sess, oe_strategy_state());
			oe_count(oe, connect_failures);
		} else {
			oe_count(oe, connects);
		}
		break;
	case OE_REQ_DISCONNECT:
		oe_request_disconnect();
		oe_count(oe, disconnects);
		break;
	default:
		break;
	}
}

/* process: a request is pending or the core has a session */
bool oe_session_busy(struct oe_adapter *oe)
{
	bool busy;

	spin_lock_bh(&oe->core_lock);
	busy = oe->sess.req != OE_REQ_NONE ||
	       (oe->core_up && oe_session_live(&oe->sess, oe_strategy_state()));
	spin_unlock_bh(&oe->core_lock);
	return busy;
}

static void oe_summary_work(struct work_struct *work)
{
	struct oe_adapter *oe = container_of(work, struct oe_adapter, summary_work);

	if (!READ_ONCE(oe->dying))
		oe_session_idle(oe);
	/* a session that never traded (refused, reset) has nothing to report; at unload the
	 * remove path prints the summary itself
	 */
	if (oe_hist_n(&oe->hist[OE_HIST_HOOK]) && !READ_ONCE(oe->dying))
		oe_hist_summary(oe, "disconnect");
}

/* RTNL: join the market-data group on this device like a socket would (ip_mc_inc_group): the
 * NIC's multicast filter gets the group's MAC and IGMP reports go out, so a snooping switch
 * forwards the feed. The stack never sees the frames the hook consumes.
 */
void oe_mc_update(struct oe_adapter *oe)
{
	__be32 group = (__force __be32)oe->cfg.md_group_be;
	struct in_device *in_dev;

	ASSERT_RTNL();
	if (oe->mc_joined && oe->mc_group == group)
		return;
	in_dev = __in_dev_get_rtnl(oe->netdev);
	if (!in_dev) {
		netdev_warn(oe->netdev, "igb_oe: no IPv4 on this device: md group not joined\n");
		return;
	}
	if (oe->mc_joined)
		ip_mc_dec_group(in_dev, oe->mc_group);
	ip_mc_inc_group(in_dev, group);
	oe->mc_group = group;
	oe->mc_joined = true;
}

static void oe_mc_leave(struct oe_adapter *oe)
{
	struct in_device *in_dev = __in_dev_get_rtnl(oe->netdev);

	ASSERT_RTNL();
	if (oe->mc_joined && in_dev)
		ip_mc_dec_group(in_dev, oe->mc_group);
	oe->mc_joined = false;
}

/* core_lock, carrier lost during a session: nothing queued now may leave when the link returns,
 * since it would reach the exchange late: the core purges its queued orders (oe_orders_purged).
 * The kill switch then holds every trigger (counted by the core as oe_orders_killed) for the rest
 * of the session, not only while the carrier is down: the book missed what was published
 * meanwhile and the feed has no sequence numbers to say what, and the frames queued upstream of
 * the NIC (switch, tap) arrive stale once the link returns. A faults run that resumed trading at
 * carrier return sent orders on that book: orders nobody expected after -G and MTU changes, and
 * orders over 1 s old after -L and ifdown/up. The next connect starts a fresh book from the
 * exchange's snapshot and restores the user's setting (oe_core_start).
 */
static void oe_purge_on_link_loss(struct oe_adapter *oe)
{
	oe->link_killed = true;
	oe_set_kill_switch(1);
	oe_purge_orders(OE_PURGE_CARRIER_LOSS);
}

/* Carrier (RTNL): a loss kills the queued orders (they would leave late) and backs the core's timer
 * off (oe_timer_arm); the return kicks NAPI at once so the session resumes without waiting for
 * the backed-off timer.
 */
static int oe_netdev_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct oe_adapter *oe = container_of(nb, struct oe_adapter, netdev_nb);
	bool up;

	if (dev != oe->netdev || (event != NETDEV_CHANGE && event != NETDEV_UP &&
				  event != NETDEV_DOWN))
		return NOTIFY_DONE;
	up = netif_running(dev) && netif_carrier_ok(dev);
	if (up == oe->link_up)
		return NOTIFY_DONE;
	oe->link_up = up;
	if (!oe->core_up)
		return NOTIFY_DONE;
	if (up) {
		oe_kick_process(oe);
		return NOTIFY_DONE;
	}
	spin_lock_bh(&oe->core_lock);
	if (oe->core_active && oe_strategy_state()) {
		oe_count(oe, carrier_losses);
		oe_purge_on_link_loss(oe);
	}
	spin_unlock_bh(&oe->core_lock);
	return NOTIFY_DONE;
}

void oe_igb_probe(struct igb_adapter *adapter)
{
	struct net_device *netdev = adapter->netdev;
	struct oe_config cfg;
	struct oe_adapter *oe;
	int err;

	if (cmpxchg(&oe_owner, NULL, adapter)) {
		netdev_info(netdev, "igb_oe: order entry already runs on another adapter\n");
		return;
	}
	oe = kvzalloc(sizeof(*oe), GFP_KERNEL);
	if (!oe) {
		WRITE_ONCE(oe_owner, NULL);
		return;
	}
	oe->ctr = oe_ctr_alloc();
	if (!oe->ctr) {
		kvfree(oe);
		WRITE_ONCE(oe_owner, NULL);
		return;
	}
	oe->adapter = adapter;
	oe->netdev = netdev;
	oe->txr.oe = oe;
	spin_lock_init(&oe->core_lock);
	hrtimer_init(&oe->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	oe->timer.function = oe_timer_fn;
	INIT_WORK(&oe->connect_work, oe_connect_work);
	INIT_WORK(&oe->summary_work, oe_summary_work);

	rtnl_lock();
	WRITE_ONCE(oe_dev, oe);
	err = oe_build_config(oe, &cfg);
	if (!err)
		err = oe_core_start(oe, &cfg, false);
	if (err)
		netdev_warn(netdev, "igb_oe: core init failed (%d), retried at connect\n", err);
	else
		oe_mc_update(oe);
	WRITE_ONCE(adapter->oe, oe);
	/* a udev rule may have opened the device already: reserve the queue now */
	if (netif_running(netdev))
		netif_set_real_num_tx_queues(netdev, oe_igb_stack_tx_queues(adapter));
	oe->link_up = netif_running(netdev) && netif_carrier_ok(netdev);
	rtnl_unlock();

	oe->netdev_nb.notifier_call = oe_netdev_event;
	if (register_netdevice_notifier(&oe->netdev_nb))
		oe->netdev_nb.notifier_call = NULL;
	oe_debugfs_init(oe);
	oe_gate_debugfs_init(oe);
	oe_sw_debugfs_init(oe);
	netdev_info(netdev,
		    "igb_oe: order entry on TX queue %u, md %s:%u, exchange %s:%u; connect: ethtool -s %s msglvl wol on\n",
		    oe_txq_index(adapter), oe_md_group_param, oe_md_port, oe_exchange_ip_param,
		    oe_exchange_port, netdev->name);
}

void oe_igb_remove(struct igb_adapter *adapter)
{
	struct oe_adapter *oe = adapter->oe;
	unsigned long deadline;

	if (!oe)
		return;
	WRITE_ONCE(oe->dying, true);
	cancel_work_sync(&oe->connect_work);

	if (oe->netdev_nb.notifier_call)
		unregister_netdevice_notifier(&oe->netdev_nb);
	rtnl_lock();
	spin_lock_bh(&oe->core_lock);
	oe_session_request(&oe->sess, false, oe->core_up ? oe_strategy_state() : 0);
	spin_unlock_bh(&oe->core_lock);
	if (oe->core_up && oe_session_busy(oe)) {
		rtnl_unlock();
		/* the FIN (or RST) leaves from NAPI; give the exchange time to answer */
		deadline = jiffies + msecs_to_jiffies(OE_UNLOAD_WAIT_MS);
		do {
			oe_kick_process(oe);
			msleep(20);
		} while (oe_session_busy(oe) && time_before(jiffies, deadline));
		rtnl_lock();
		if (oe_strategy_state())
			netdev_warn(oe->netdev, "igb_oe: session not closed at unload (state %u)\n",
				    oe_strategy_state());
	}
	oe_log_order_counters(oe);
	oe_core_stop(oe);
	oe_port_release(oe);
	oe_sw_exit(oe);
	oe->stamp_session = false;
	oe_stamp_update(oe);
	WRITE_ONCE(oe_dev, NULL);
	oe_mc_leave(oe);
	rtnl_unlock();

	/* an ethtool request that read dying == false before we set it finished under RTNL above;
	 * whatever it queued is gone after this
	 */
	cancel_work_sync(&oe->connect_work);
	cancel_work_sync(&oe->summary_work);
	flush_work(&oe_log_work);
	oe_hist_summary(oe, "unload");
	oe_debugfs_exit(oe);
}

void oe_igb_release(struct igb_adapter *adapter)
{
	struct oe_adapter *oe = adapter->oe;

	if (!oe)
		return;
	/* unregister_netdev ran igb_down: every order-entry descriptor is cleaned */
	oe_tx_pool_free(oe);
	WRITE_ONCE(adapter->oe, NULL);
	free_percpu(oe->ctr);
	kvfree(oe);
	WRITE_ONCE(oe_owner, NULL);
}

/* ---- platform API (oe/abi.h), except the TX ring (oe_tx.c) ---- */

u64 oe_now_ns(void)
{
	return ktime_get_ns();
}

void oe_timer_arm(u64 expires_ns)
{
	struct oe_adapter *oe = READ_ONCE(oe_dev);

	if (!oe)
		return;
	if (!expires_ns) {
		hrtimer_try_to_cancel(&oe->timer);
		return;
	}
	/* core_lock (the core is the caller): while nothing can be sent, retry with backoff */
	expires_ns = oe_backoff_expiry(&oe->backoff,
				       netif_carrier_ok(oe->netdev) &&
				       !test_bit(__IGB_DOWN, &oe->adapter->state),
				       ktime_get_ns(), expires_ns);
	hrtimer_start(&oe->timer, ns_to_ktime(expires_ns), HRTIMER_MODE_ABS);
}

u32 oe_random_u32(void)
{
	return get_random_u32();
}

/* The core logs from NAPI under core_lock: no printk there. Lines go into a small ring and a work
 * item prints them from process context; what does not fit is counted (igboe_log_dropped).
 */
#define OE_LOG_SLOTS 32		/* power of two */

struct oe_log_line {
	const char *event;	/* the core's string literals: live as long as the module */
	u64 a, b;
};

static struct {
	spinlock_t lock;	/* leaf lock, any context */
	u32 head, tail;
	struct oe_log_line line[OE_LOG_SLOTS];
} oe_logq = { .lock = __SPIN_LOCK_UNLOCKED(oe_logq.lock) };

static void oe_log_flush(struct work_struct *work)
{
	struct oe_log_line l;
	unsigned long flags;

	for (;;) {
		spin_lock_irqsave(&oe_logq.lock, flags);
		if (oe_logq.tail == oe_logq.head) {
			spin_unlock_irqrestore(&oe_logq.lock, flags);
			return;
		}
		l = oe_logq.line[oe_logq.tail++ & (OE_LOG_SLOTS - 1)];
		spin_unlock_irqrestore(&oe_logq.lock, flags);
		pr_info("%s %llu %llu\n", l.event ? l.event : "(null)", l.a, l.b);
	}
}

void oe_log(const char *event, u64 a, u64 b)
{
	struct oe_adapter *oe = READ_ONCE(oe_dev);
	unsigned long flags;
	bool full;

	spin_lock_irqsave(&oe_logq.lock, flags);
	full = oe_logq.head - oe_logq.tail >= OE_LOG_SLOTS;
	if (!full)
		oe_logq.line[oe_logq.head++ & (OE_LOG_SLOTS - 1)] =
			(struct oe_log_line){ event, a, b };
	spin_unlock_irqrestore(&oe_logq.lock, flags);
	if (full) {
		if (oe)
			oe_count(oe, log_dropped);
		return;
	}
	schedule_work(&oe_log_work);
}

void oe_warn_once(const char *what, u64 count)
{
	WARN_ONCE(1, "%s (%llu)\n", what ? what : "(null)", count);
}
