/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the lab's BPF programs and oe-strategy agree on: one config record (array map "cfg", key 0,
 * written by userspace before and between sessions) and the counters (array map "stats").
 * Addresses and ports in network byte order, as they appear in the packet.
 */
#ifndef OE_LAB_BPF_H
#define OE_LAB_BPF_H

struct oe_lab_cfg {
	__u32 group;        /* MD multicast group */
	__u32 exch_ip;      /* the exchange (order entry and MD source) */
	__u32 local_ip;     /* this host on the lab interface */
	__u16 md_port;      /* MD UDP destination port */
	__u16 oe_port;      /* exchange order-entry TCP port */
	__u16 local_port;   /* our order-entry TCP port; 0 = any */
	__u16 bounce_port;  /* floor: the exchange's --bounce-port */
	__u8 local_mac[6];  /* floor: source MAC of the bounced frame */
	__u8 pad[2];
};

enum oe_lab_stat {
	OE_STAT_MD = 0,      /* MD datagrams seen (steered / bounced / dropped) */
	OE_STAT_OE,          /* order-entry TCP segments seen */
	OE_STAT_PASS,        /* everything else, left to the kernel */
	OE_STAT_REDIRECT_FAIL,
	OE_STAT_BAD_SEQ,     /* floor: MD payload without a parsable sequence number */
	OE_STAT_SNAPSHOT,    /* floor: snapshot rows, not bounced */
	OE_STAT_COUNT,
};

/* Floor reply: same frame size as an order (Ethernet 14 + IPv4 20 + TCP 20 + 13-byte order = 67):
 * Ethernet 14 + IPv4 20 + UDP 8 + 25 bytes payload = u64 LE MD seq + 17 zero bytes. */
#define OE_ORDER_FRAME_LEN 67
#define OE_BOUNCE_PAYLOAD_LEN (OE_ORDER_FRAME_LEN - 14 - 20 - 8)

#endif
