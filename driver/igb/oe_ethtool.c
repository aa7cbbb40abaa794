// SPDX-License-Identifier: GPL-2.0
/*
 * igb_oe: ethtool hooks. "ethtool -s <dev> msglvl wol on" connects to the exchange named by the
 * module parameters, "msglvl wol off" disconnects; "ethtool -S <dev>" shows the glue's and the
 * core's counters after igb's. See ethtool-hooks/oe-connect and docs/driver.md.
 *
 * The msglvl handler runs under RTNL and never touches the TX ring: it queues the connect work,
 * which resolves the exchange's next hop through the routing table and the ARP neighbour table
 * (sending an ARP request and retrying while it is unresolved), re-initialises the core with the
 * full 4-tuple, calls oe_request_connect() and kicks NAPI; the SYN leaves from the poll.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/ethtool.h>
#include <linux/rtnetlink.h>
#include <net/arp.h>
#include <net/neighbour.h>
#include <net/route.h>
#include "oe_priv.h"

/* Next hop of daddr out of our netdev, the source address to use and the next hop's MAC.
 * -EAGAIN: ARP request sent, not resolved yet.
 */
static int oe_resolve(struct oe_adapter *oe, __be32 daddr, __be32 *saddr, u8 *mac)
{
	struct net_device *dev = oe->netdev;
	struct flowi4 fl4 = {
		.daddr = daddr,
		.flowi4_oif = dev->ifindex,
	};
	struct neighbour *n;
	struct rtable *rt;
	__be32 nh;

	rt = ip_route_output_key(dev_net(dev), &fl4);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (rt->dst.dev != dev || rt->rt_type != RTN_UNICAST) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}
	nh = rt_nexthop(rt, daddr);
	*saddr = fl4.saddr;
	ip_rt_put(rt);
	if (!*saddr)
		return -EADDRNOTAVAIL;

	n = __ipv4_neigh_lookup(dev, (__force u32)nh);
	if (!n) {
		n = neigh_create(&arp_tbl, &nh, dev);
		if (IS_ERR(n))
			return PTR_ERR(n);
	}
	if (READ_ONCE(n->nud_state) & NUD_VALID) {
		neigh_ha_snapshot(mac, n, dev);
		neigh_release(n);
		return 0;
	}
	neigh_event_send(n, NULL);
	neigh_release(n);
	return -EAGAIN;
}

static void oe_connect_failed(struct oe_adapter *oe, const char *what, int err)
{
	netdev_err(oe->netdev, "igb_oe: connect failed: %s (%d)\n", what, err);
	spin_lock_bh(&oe->core_lock);
	oe_session_failed(&oe->sess);
	spin_unlock_bh(&oe->core_lock);
	oe_count(oe, connect_failures);
}

/* process: the request is still the connect this work resolves */
static bool oe_connect_still_wanted(struct oe_adapter *oe)
{
	bool wanted;

	spin_lock_bh(&oe->core_lock);
	wanted = oe->sess.req == OE_REQ_RESOLVE;
	spin_unlock_bh(&oe->core_lock);
	return wanted;
}

void oe_connect_work(struct work_struct *work)
{
	struct oe_adapter *oe = container_of(work, struct oe_adapter, connect_work);
	unsigned long deadline = jiffies + msecs_to_jiffies(OE_RESOLVE_MS);
	struct oe_config cfg;
	__be32 saddr = 0;
	bool resolved;
	int err;

	err = oe_build_config(oe, &cfg);
	if (err) {
		oe_connect_failed(oe, "module parameters", err);
		return;
	}

	for (;;) {
		if (READ_ONCE(oe->dying) || !oe_connect_still_wanted(oe))
			return;
		err = oe_resolve(oe, (__force __be32)cfg.remote_ip_be, &saddr, cfg.remote_mac);
		if (err != -EAGAIN || time_after(jiffies, deadline))
			break;
		msleep(OE_RESOLVE_STEP_MS);
	}
	if (err) {
		oe_connect_failed(oe, err == -EAGAIN ? "no ARP reply from the exchange's next hop" :
				      "no route to the exchange on this device", err);
		return;
	}
	cfg.local_ip_be = (__force u32)saddr;

	rtnl_lock();
	if (oe->dying || !oe_connect_still_wanted(oe))
		goto out;
	if (oe->core_up && oe_strategy_state()) {
		/* a session is still closing: `wol on` was accepted as a cancel of its disconnect,
		 * or raced it; the user asks again once the state reads Init
		 */
		spin_lock_bh(&oe->core_lock);
		oe_session_failed(&oe->sess);
		spin_unlock_bh(&oe->core_lock);
		goto out;
	}
	/* before the old core stops: a refused connect leaves it (and its counters) as it was */
	err = oe_port_reserve(oe, &cfg);
	if (err) {
		rtnl_unlock();
		oe_connect_failed(oe, err == -EADDRINUSE ? "local port in use in the stack" :
				      "local port reservation", err);
		return;
	}
	/* the core learns the 4-tuple at init: restart it (state Init, nothing in flight); the
	 * pool is set up while no CPU can be inside the core
	 */
	oe_core_stop(oe);
	err = oe_tx_pool_alloc(oe);
	if (err)
		goto fail;
	oe_tx_pool_reset(oe);
	oe_hist_reset(oe);
	err = oe_core_start(oe, &cfg, true);
	if (err)
		goto fail;
	oe_mc_update(oe);

	/* arm the connect NAPI delivers (oe_deliver_request); a `wol off` takes RTNL too, so the
	 * request is still the one checked above
	 */
	spin_lock_bh(&oe->core_lock);
	resolved = oe_session_resolved(&oe->sess);
	spin_unlock_bh(&oe->core_lock);
	if (resolved)
		oe_session_armed(oe);	/* stamps for the histograms from here to the end (oe_stamp.c) */
	oe_kick_process(oe);
	netdev_info(oe->netdev, "igb_oe: connecting %pI4:%u -> %pI4:%u (%pM), TX queue %u\n",
		    &cfg.local_ip_be, ntohs((__force __be16)cfg.local_port_be), &cfg.remote_ip_be,
		    ntohs((__force __be16)cfg.remote_port_be), cfg.remote_mac,
		    oe_txq_index(oe->adapter));
out:
	rtnl_unlock();
	return;
fail:
	oe_port_release(oe);
	rtnl_unlock();
	oe_connect_failed(oe, "core", err);
}

/* ---- msglvl ---- */

u32 oe_igb_get_msglevel(struct igb_adapter *adapter, u32 msg_enable)
{
	struct oe_adapter *oe = adapter->oe;
	bool wanted;

	msg_enable &= ~OE_MSG_CONNECT;
	if (!oe)
		return msg_enable;
	spin_lock_bh(&oe->core_lock);
	wanted = oe_session_wanted(&oe->sess, oe->core_up ? oe_strategy_state() : 0);
	spin_unlock_bh(&oe->core_lock);
	return wanted ? msg_enable | OE_MSG_CONNECT : msg_enable;
}

u32 oe_igb_set_msglevel(struct igb_adapter *adapter, u32 data)
{
	struct oe_adapter *oe = adapter->oe;
	bool want = data & OE_MSG_CONNECT;
	bool resolve;

	data &= ~OE_MSG_CONNECT;
	if (!oe || READ_ONCE(oe->dying))
		return data;
	ASSERT_RTNL();

	/* one latest-wins request under core_lock; NAPI delivers it to the core */
	spin_lock_bh(&oe->core_lock);
	resolve = oe_session_request(&oe->sess, want, oe->core_up ? oe_strategy_state() : 0);
	spin_unlock_bh(&oe->core_lock);
	if (resolve)
		schedule_work(&oe->connect_work);
	else if (!want)
		oe_kick_process(oe);
	return data;
}

/* ---- ethtool -S ---- */

static const char * const oe_drv_stat_names[] = {
	"igboe_md_frames",
	"igboe_md_mirrored",
	"igboe_orders",
	"igboe_tcp_frames",
	"igboe_doorbells",
	"igboe_tx_done",
	"igboe_tx_flushed",
	"igboe_tx_busy",
	"igboe_tx_down",
	"igboe_tx_bad_len",
	"igboe_timer_fires",
	"igboe_connects",
	"igboe_connect_failures",
	"igboe_disconnects",
	"igboe_carrier_losses",
	"igboe_carrier_retries",
	"igboe_md_foreign_src",
	"igboe_rx_vlan",
	"igboe_rx_csum_sw",
	"igboe_rx_csum_bad",
	"igboe_log_dropped",
	"igboe_warm_yields",
	"igboe_warm_late",
	"igboe_port_in_use",
	"igboe_state",
	"igboe_txq",
	"igboe_ttt_n",
	"igboe_ttt_p50_ns",
	"igboe_ttt_p99_ns",
	"igboe_ttt_max_ns",
};

#define OE_DRV_STATS ARRAY_SIZE(oe_drv_stat_names)
#define OE_DRV_COUNTERS OE_CTR_COUNT
#define OE_DRV_EXTRA 6	/* state, txq, ttt_n, ttt_p50_ns, ttt_p99_ns, ttt_max_ns */
static_assert(ARRAY_SIZE(oe_drv_stat_names) == OE_DRV_COUNTERS + OE_DRV_EXTRA);

int oe_igb_stats_count(struct igb_adapter *adapter)
{
	return adapter->oe ? OE_DRV_STATS + oe_stats_count() : 0;
}

void oe_igb_get_strings(struct igb_adapter *adapter, u8 **p)
{
	const char *name;
	u32 i, n;

	if (!adapter->oe)
		return;
	for (i = 0; i < OE_DRV_STATS; i++)
		ethtool_puts(p, oe_drv_stat_names[i]);
	n = oe_stats_count();
	for (i = 0; i < n; i++) {
		name = oe_stats_name(i);
		if (name)
			ethtool_puts(p, name);
		else
			ethtool_sprintf(p, "oe_core_%u", i);
	}
}

void oe_igb_get_stats(struct igb_adapter *adapter, u64 *data)
{
	struct oe_adapter *oe = adapter->oe;
	const struct oe_hist *h;
	u32 i, n;

	if (!oe)
		return;
	h = &oe->hist[OE_HIST_HOOK];
	/* OE_COUNTERS() is in the order of oe_drv_stat_names */
	for (i = 0; i < OE_DRV_COUNTERS; i++)
		*data++ = oe_ctr_read(oe->ctr, i);
	*data++ = oe->core_up ? oe_strategy_state() : 0;
	*data++ = oe_txq_index(adapter);
	*data++ = oe_hist_n(h);
	*data++ = oe_hist_percentile(h, 500);
	*data++ = oe_hist_percentile(h, 990);
	*data++ = oe_hist_n(h) ? READ_ONCE(h->max) : 0;
	n = oe_stats_count();
	for (i = 0; i < n; i++)
		*data++ = oe->core_up ? oe_stats_value(i) : 0;
}

/* process, at unload, after the session closed: the core's oe_orders_* counters in one line, since
 * ethtool -S goes with the module and the session's last orders leave during the unload's close
 * (the faults scenario reconciles the rmmod session with this line)
 */
void oe_log_order_counters(struct oe_adapter *oe)
{
	char line[512];
	const char *name;
	size_t len = 0;
	u32 i, n;

	if (!oe->core_up)
		return;
	line[0] = 0;
	n = oe_stats_count();
	for (i = 0; i < n; i++) {
		name = oe_stats_name(i);
		if (name && !strncmp(name, "oe_orders_", strlen("oe_orders_")))
			len += scnprintf(line + len, sizeof(line) - len, " %s=%llu", name,
					 oe_stats_value(i));
	}
	netdev_info(oe->netdev, "igb_oe: at unload:%s\n", line);
}
