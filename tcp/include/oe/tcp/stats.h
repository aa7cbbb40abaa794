/* SPDX-License-Identifier: GPL-2.0 */
/* Counters of the order-entry connection, in a stable order with ethtool -S names. */
#pragma once
#include "oe/base.h"

namespace oe::tcp {

#define OE_TCP_STATS(X)                                                                              \
	X(SegsIn, "tcp_segs_in")                 /* valid segments for our 4-tuple */                    \
	X(SegsOut, "tcp_segs_out")                                                                       \
	X(BytesIn, "tcp_bytes_in")               /* peer data delivered in order */                      \
	X(BytesOut, "tcp_bytes_out")             /* payload bytes transmitted incl. retransmissions */   \
	X(OrdersSent, "tcp_orders_sent")         /* orders whose frame reached the doorbell (incl. queued) */ \
	X(OrdersQueued, "tcp_orders_queued")     /* send_order: accepted, waits for window/TX buffer */  \
	X(OrdersRefused, "tcp_orders_refused")   /* send_order returned false */                         \
	X(TxBusy, "tcp_tx_busy")                 /* no TX buffer from the port */                        \
	X(TemplateRefills, "tcp_template_refills") /* a TX buffer got the order template copied in */    \
	X(Retransmits, "tcp_retransmits")        /* segments sent again (RTO or fast retransmit) */      \
	X(RtoExpired, "tcp_rto_expired")                                                                 \
	X(FastRetransmits, "tcp_fast_retransmits")                                                       \
	X(DupAcks, "tcp_dup_acks")                                                                       \
	X(WindowProbes, "tcp_window_probes")     /* zero-window probes */                                \
	X(ZeroWindowSeen, "tcp_zero_window_seen")                                                        \
	X(AcksOut, "tcp_acks_out")                                                                       \
	X(BadChecksum, "tcp_bad_checksum")       /* IP or TCP checksum wrong */                          \
	X(Malformed, "tcp_malformed")            /* lengths, options, fragments, not TCP */              \
	X(WrongTuple, "tcp_wrong_tuple")         /* not our addresses/ports */                           \
	X(OutOfWindow, "tcp_out_of_window")      /* unacceptable sequence number (answered by an ACK) */ \
	X(AckInvalid, "tcp_ack_invalid")         /* ACK of unsent data or too old */                     \
	X(OutOfOrder, "tcp_out_of_order")        /* in-window data beyond RCV.NXT: dropped, dup ACK */   \
	X(RstIn, "tcp_rst_in")                                                                           \
	X(RstIgnored, "tcp_rst_ignored")         /* failed RST validation */                             \
	X(RstOut, "tcp_rst_out")                                                                         \
	X(ChallengeAcks, "tcp_challenge_acks")   /* RFC 5961 */                                          \
	X(Connects, "tcp_connects")                                                                      \
	X(Established, "tcp_established")                                                                \
	X(PeerCloses, "tcp_peer_closes")                                                                 \
	X(Resets, "tcp_resets")                                                                          \
	X(Failures, "tcp_failures")              /* SYN or data retries exhausted, close timeout */      \
	X(Closes, "tcp_closes")                                                                          \
	X(State, "tcp_state")                    /* gauge: enum State */                                 \
	X(SrttUs, "tcp_srtt_us")                 /* gauge */                                             \
	X(RtoUs, "tcp_rto_us")                   /* gauge */                                             \
	X(SndWnd, "tcp_snd_wnd")                 /* gauge: peer's window */                              \
	X(Cwnd, "tcp_cwnd")                      /* gauge */                                             \
	X(TlpProbes, "tcp_tlp_probes")           /* tail-loss probes sent (RFC 8985 §7) */               \
	X(RepliesLimited, "tcp_replies_limited") /* replies to unacceptable segments not sent (limit) */ \
	X(ContEmptyFires, "tcp_cont_empty_fires") /* a fire found no continuation parked: a bug */       \
	X(OrdersExpired, "tcp_orders_expired")   /* queued past Config::order_ttl_ns: dropped, never sent */ \
	X(OrdersPurged, "tcp_orders_purged")     /* queued, dropped by purge_orders/close/connection loss */ \
	X(RttMaxUs, "tcp_rtt_max_us")            /* gauge: the largest RTT sample of the connection */    \
	X(QueuedWaitMaxUs, "tcp_queued_wait_max_us") /* gauge: the longest trigger -> doorbell of a queued order (what order_ttl_ns bounds) */ \
	X(BytesUnackedAtLoss, "tcp_bytes_unacked_at_loss") /* data sent, never acknowledged when a reset or failure ended the connection: orders in doubt */ \
	X(StaleAborts, "tcp_stale_aborts")       /* a retransmission would have carried an order older than Config::order_stale_ns: RST instead */

enum Stat : u32 {
#define OE_TCP_STAT_ENUM(id, name) Stat##id,
	OE_TCP_STATS(OE_TCP_STAT_ENUM)
#undef OE_TCP_STAT_ENUM
	StatCount
};

inline constexpr const char *kStatNames[StatCount] = {
#define OE_TCP_STAT_NAME(id, name) name,
	OE_TCP_STATS(OE_TCP_STAT_NAME)
#undef OE_TCP_STAT_NAME
};

struct Stats {
	u64 v[StatCount] = {};
	OE_ALWAYS_INLINE u64 operator[](Stat s) const { return v[s]; }
};

} // namespace oe::tcp
