/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Initial sequence numbers per RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a 4 µs clock, F SipHash-2-4 (the PRF Linux uses for secure_tcp_seq) under a 128-bit
 * key drawn from the platform's random source once per IsnState.
 *
 * An IsnState outlives the Clients that use it (the kernel core keeps one per module load, in
 * oe_core.cpp, while the core and its Client are rebuilt at every connect): it holds the key and the
 * last incarnation's 4-tuple and highest sequence number, so a reconnect on the same 4-tuple — a fixed or reserved local port, the peer possibly still in TIME-WAIT — starts above
 * everything the old incarnation sent (RFC 9293 §3.4.1, §3.6.1), even after a core restart.
 * always_inline: shared by every Client instantiation (see send_ring.h).
 */
#pragma once
#include "oe/base.h"

namespace oe::tcp {

OE_ALWAYS_INLINE u64 rotl64(u64 x, int b) { return (x << b) | (x >> (64 - b)); }

/* SipHash-2-4 (Aumasson & Bernstein), little-endian message words. */
OE_ALWAYS_INLINE u64 siphash24(u64 k0, u64 k1, const u8 *m, usize n)
{
	u64 v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	u64 v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	auto round = [&] {
		v0 += v1, v1 = rotl64(v1, 13), v1 ^= v0, v0 = rotl64(v0, 32);
		v2 += v3, v3 = rotl64(v3, 16), v3 ^= v2;
		v0 += v3, v3 = rotl64(v3, 21), v3 ^= v0;
		v2 += v1, v1 = rotl64(v1, 17), v1 ^= v2, v2 = rotl64(v2, 32);
	};
	const usize whole = n & ~usize(7);
	for (usize i = 0; i < whole; i += 8) {
		const u64 w = get_le64(m + i);
		v3 ^= w;
		round(), round();
		v0 ^= w;
	}
	u64 last = u64(n & 0xff) << 56;
	for (usize i = 0; i < (n & 7); i++)
		last |= u64(m[whole + i]) << (8 * i);
	v3 ^= last;
	round(), round();
	v0 ^= last;
	v2 ^= 0xff;
	round(), round(), round(), round();
	return v0 ^ v1 ^ v2 ^ v3;
}

struct IsnState {
	u64 k0 = 0, k1 = 0;
	bool keyed = false;
	/* the last incarnation: its 4-tuple and the highest sequence number it used (SND.MAX) */
	bool have_last = false;
	u32 last_local_ip = 0, last_remote_ip = 0;
	u16 last_local_port = 0, last_remote_port = 0;
	u32 last_snd_max = 0;

	template <class Rand> OE_ALWAYS_INLINE void key_once(Rand rnd)
	{
		if (keyed)
			return;
		k0 = u64(rnd()) << 32 | rnd();
		k1 = u64(rnd()) << 32 | rnd();
		keyed = true;
	}
	OE_ALWAYS_INLINE bool same_tuple(u32 lip, u16 lport, u32 rip, u16 rport) const
	{
		return have_last && last_local_ip == lip && last_local_port == lport && last_remote_ip == rip &&
		       last_remote_port == rport;
	}
	OE_ALWAYS_INLINE void remember(u32 lip, u16 lport, u32 rip, u16 rport, u32 snd_max)
	{
		have_last = true;
		last_local_ip = lip, last_local_port = lport, last_remote_ip = rip, last_remote_port = rport;
		last_snd_max = snd_max;
	}
	/* RFC 6528: M (4 µs ticks of now_ns) + F(4-tuple, key). */
	OE_ALWAYS_INLINE u32 isn(u64 now_ns, u32 lip, u16 lport, u32 rip, u16 rport) const
	{
		u8 t[12];
		put_be32(t, lip), put_be32(t + 4, rip), put_be16(t + 8, lport), put_be16(t + 10, rport);
		return u32(now_ns / 4000) + u32(siphash24(k0, k1, t, sizeof(t)));
	}
};

} // namespace oe::tcp
