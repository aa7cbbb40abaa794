// SPDX-License-Identifier: GPL-2.0
/*
 * igb_oe: order-entry glue, lifecycle. Module parameters -> struct oe_config, core init/exit at
 * probe/remove, the hrtimer and NAPI kicks, and the part of the platform API (oe/abi.h) that is
 * not about the TX ring: oe_now_ns, oe_timer_arm, oe_random_u32, oe_log.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/inet.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/rtnetlink.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
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
MODULE_PARM_DESC(local_port, "Local TCP port, 0 = random per connect (default 0)");

static unsigned char oe_tos;
module_param_named(tos, oe_tos, byte, 0644);
MODULE_PARM_DESC(tos, "IPv4 TOS of order-entry segments (default 0)");

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
		err = oe_set_kill_switch(oe_kill_switch);
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

/* Module parameters on top of oe_config_defaults(). What is learnt at connect (local IP, the
 * exchange's MAC) keeps its default here.
 */
int oe_build_config(struct oe_adapter *oe, struct oe_config *cfg)
{
	char symbol[sizeof(oe_symbol_param)];
	__be32 group, exchange;
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
	lport = oe_local_port ? oe_local_port : 49152 + get_random_u32_below(16384);
	cfg->local_port_be = (__force u16)htons(lport);
	cfg->tos = oe_tos;
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
	oe->filter.tcp_local_ip = (__force __be32)cfg->local_ip_be;
	oe->filter.tcp_remote_ip = (__force __be32)cfg->remote_ip_be;
	oe->filter.tcp_local_port = (__force __be16)cfg->local_port_be;
	oe->filter.tcp_remote_port = (__force __be16)cfg->remote_port_be;
	WRITE_ONCE(oe->filter.tcp_armed, endpoint);
	oe->connect_issued = false;
	if (READ_ONCE(oe_kill_switch))
		oe_set_kill_switch(1);

	spin_lock_bh(&oe->core_lock);
	oe->last_state = oe_strategy_state();
	oe->core_active = true;
	spin_unlock_bh(&oe->core_lock);
	return 0;
}

/* RTNL held. After this no CPU is inside the core and none will enter it. */
void oe_core_stop(struct oe_adapter *oe)
{
	ASSERT_RTNL();
	spin_lock_bh(&oe->core_lock);
	oe->core_active = false;
	WRITE_ONCE(oe->filter.tcp_armed, false);
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

	oe->ctr.timer_fires++;
	oe_kick(oe);
	return HRTIMER_NORESTART;
}

/* core_lock held: print the tick-to-trade summary when a session ends */
void oe_note_state(struct oe_adapter *oe)
{
	u32 state = oe_strategy_state();

	if (likely(state == oe->last_state))
		return;
	WRITE_ONCE(oe->connect_issued, false);
	if (!state)
		schedule_work(&oe->summary_work);
	oe->last_state = state;
}

static void oe_summary_work(struct work_struct *work)
{
	struct oe_adapter *oe = container_of(work, struct oe_adapter, summary_work);

	/* a session that never traded (refused, reset) has nothing to report; at unload the
	 * remove path prints the summary itself
	 */
	if (READ_ONCE(oe->hist[OE_HIST_HOOK].n) && !READ_ONCE(oe->dying))
		oe_hist_summary(oe, "disconnect");
}

/* RTNL: receive the market-data group without an IGMP socket (the stack never sees it) */
void oe_mc_update(struct oe_adapter *oe)
{
	u8 mac[ETH_ALEN];

	ASSERT_RTNL();
	ip_eth_mc_map((__force __be32)oe->cfg.md_group_be, mac);
	if (oe->mc_added && ether_addr_equal(mac, oe->mc_addr))
		return;
	if (oe->mc_added)
		dev_mc_del(oe->netdev, oe->mc_addr);
	oe->mc_added = !dev_mc_add(oe->netdev, mac);
	ether_addr_copy(oe->mc_addr, mac);
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
	rtnl_unlock();

	oe_debugfs_init(oe);
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

	rtnl_lock();
	oe->connect_wanted = false;
	if (oe->core_up && (READ_ONCE(oe->connect_issued) || oe_strategy_state())) {
		spin_lock_bh(&oe->core_lock);
		oe_request_disconnect();
		spin_unlock_bh(&oe->core_lock);
		oe->ctr.disconnects++;
		rtnl_unlock();
		/* the FIN (or RST) leaves from NAPI; give the exchange time to answer */
		deadline = jiffies + msecs_to_jiffies(OE_UNLOAD_WAIT_MS);
		do {
			oe_kick_process(oe);
			msleep(20);
		} while (oe_strategy_state() && time_before(jiffies, deadline));
		rtnl_lock();
		if (oe_strategy_state())
			netdev_warn(oe->netdev, "igb_oe: session not closed at unload (state %u)\n",
				    oe_strategy_state());
	}
	oe_core_stop(oe);
	WRITE_ONCE(oe_dev, NULL);
	if (oe->mc_added)
		dev_mc_del(oe->netdev, oe->mc_addr);
	oe->mc_added = false;
	rtnl_unlock();

	/* an ethtool request that read dying == false before we set it finished under RTNL above;
	 * whatever it queued is gone after this
	 */
	cancel_work_sync(&oe->connect_work);
	cancel_work_sync(&oe->summary_work);
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
	if (!expires_ns)
		hrtimer_try_to_cancel(&oe->timer);
	else
		hrtimer_start(&oe->timer, ns_to_ktime(expires_ns), HRTIMER_MODE_ABS);
}

u32 oe_random_u32(void)
{
	return get_random_u32();
}

void oe_log(const char *event, u64 a, u64 b)
{
	pr_info_ratelimited("%s %llu %llu\n", event ? event : "(null)", a, b);
}

void oe_warn_once(const char *what, u64 count)
{
	WARN_ONCE(1, "%s (%llu)\n", what ? what : "(null)", count);
}
