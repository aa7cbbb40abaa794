// SPDX-License-Identifier: GPL-2.0
/*
 * igb_oe: the stack holds the order-entry session's local port while the session lives.
 *
 * The core speaks TCP on a 4-tuple the stack knows nothing about. A stack socket that bound the
 * same local address and port would answer the core's segments or send on its connection, so a
 * kernel TCP socket bound to that address and port owns it in the stack's bind table from the
 * connect until the session is back in Init, after TIME-WAIT (oe_session_idle): a bind() elsewhere
 * gets EADDRINUSE and the stack's autobind passes the port by. A port already held refuses the
 * connect (igboe_port_in_use); an automatic one (local_port=0) is drawn again a few times first.
 */
#include <linux/in.h>
#include <linux/net.h>
#include <linux/rtnetlink.h>
#include <net/sock.h>
#include "oe_priv.h"

#define OE_PORT_DRAWS 8

static int oe_port_bind(struct net *net, __be32 addr, __be16 port, struct socket **sock)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = addr,
		.sin_port = port,
	};
	int err;

	/* not sock_create_kern(): a kernel socket holds no reference on its netns, and the netdev
	 * may move to a namespace that is deleted while the session lives
	 */
	err = __sock_create(net, PF_INET, SOCK_STREAM, IPPROTO_TCP, sock, 0);
	if (err)
		return err;
	err = kernel_bind(*sock, (struct sockaddr *)&sin, sizeof(sin));
	if (err) {
		sock_release(*sock);
		*sock = NULL;
	}
	return err;
}

/* RTNL, no session: hold cfg's local address and port (an automatic port may be drawn again) */
int oe_port_reserve(struct oe_adapter *oe, struct oe_config *cfg)
{
	bool fixed;
	int i, err;

	ASSERT_RTNL();
	oe_port_release(oe);
	for (i = 0; i < OE_PORT_DRAWS; i++) {
		err = oe_port_bind(dev_net(oe->netdev), (__force __be32)cfg->local_ip_be,
				   (__force __be16)cfg->local_port_be, &oe->port_sock);
		if (err != -EADDRINUSE)
			break;
		cfg->local_port_be = (__force u16)htons(oe_pick_local_port(&fixed));
		if (fixed)
			break;
	}
	if (err == -EADDRINUSE)
		oe_count(oe, port_in_use);
	return err;
}

/* RTNL: the session is over (or never started): give the port back to the stack */
void oe_port_release(struct oe_adapter *oe)
{
	ASSERT_RTNL();
	if (!oe->port_sock)
		return;
	sock_release(oe->port_sock);
	oe->port_sock = NULL;
}
