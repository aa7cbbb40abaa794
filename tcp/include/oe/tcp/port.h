/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Port: what tcp::Client needs from the platform. A compile-time interface (duck-typed template
 * parameter, no virtual calls): the kernel uses AbiPort (abi_port.h), host tests a TAP port, unit
 * tests a scripted in-memory port. A Port is default-constructible and lives inside the Client.
 *
 *   struct SomePort {
 *       TCPPacket *tx_begin();              // claim the TX ring and take its next buffer; nullptr if
 *                                           // the ring is full/down (the claim is then released)
 *       void tx_cancel(TCPPacket *pkt);     // give the buffer back unused; releases the claim
 *       void tx_commit(TCPPacket *pkt);     // pkt->len bytes go on the wire; releases the claim
 *       u64 now_ns();                       // monotonic
 *       void timer_arm(u64 expires_ns);     // the one one-shot timer; 0 cancels; on expiry the
 *                                           // platform calls Client::poll(now) in the RX context
 *       u32 random_u32();                   // ISN and ephemeral port
 *   };
 *
 * TX buffers are struct TCPPacket from oe/abi.h. The client stamps TCPPacket::template_gen with the
 * generation of the order template a buffer holds (0 = anything else), so the fire path only patches.
 */
#pragma once
#include "oe/abi.h"
#include "oe/base.h"

namespace oe::tcp {

using TxBuffer = ::TCPPacket;

/* Compile-time check that P provides the Port interface (used by Client). */
template <class P> constexpr bool is_port()
{
	using Begin = TxBuffer *(P::*)();
	using Give = void (P::*)(TxBuffer *);
	using Now = u64 (P::*)();
	using Arm = void (P::*)(u64);
	using Rand = u32 (P::*)();
	[[maybe_unused]] Begin b = &P::tx_begin;
	[[maybe_unused]] Give c = &P::tx_cancel, m = &P::tx_commit;
	[[maybe_unused]] Now n = &P::now_ns;
	[[maybe_unused]] Arm a = &P::timer_arm;
	[[maybe_unused]] Rand r = &P::random_u32;
	return true;
}

} // namespace oe::tcp
