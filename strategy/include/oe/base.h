/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Freestanding base for the C++ core (strategy/, tcp/): fixed-width types and the few
 * primitives the hot path needs. Includes nothing, so the same sources build unchanged into
 * igb_oe.ko / oe_kunit.ko (g++ -ffreestanding -nostdinc++) and into host binaries.
 */
#pragma once

namespace oe {

using u8 = __UINT8_TYPE__;
using u16 = __UINT16_TYPE__;
using u32 = __UINT32_TYPE__;
using u64 = __UINT64_TYPE__;
using i8 = __INT8_TYPE__;
using i16 = __INT16_TYPE__;
using i32 = __INT32_TYPE__;
using i64 = __INT64_TYPE__;
using usize = __SIZE_TYPE__;

#define OE_LIKELY(x) __builtin_expect(!!(x), 1)
#define OE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define OE_ALWAYS_INLINE inline __attribute__((always_inline))

/* Compiler barrier: orders compiler-visible accesses, emits no instruction. */
OE_ALWAYS_INLINE void barrier() { asm volatile("" ::: "memory"); }

/*
 * READ_ONCE / WRITE_ONCE equivalents: one untorn access the compiler may not fuse, re-read or
 * invent. Used where softirq (NAPI) and process context hand a value over.
 */
template <class T> OE_ALWAYS_INLINE T read_once(const T &v) { return *static_cast<const volatile T *>(&v); }
template <class T> OE_ALWAYS_INLINE void write_once(T &v, T x) { *static_cast<volatile T *>(&v) = x; }

/* Release/acquire for publishing a slot to another CPU (x86: compiler barrier + TSO). */
template <class T> OE_ALWAYS_INLINE void store_release(T &v, T x) { __atomic_store_n(&v, x, __ATOMIC_RELEASE); }
template <class T> OE_ALWAYS_INLINE T load_acquire(const T &v) { return __atomic_load_n(&v, __ATOMIC_ACQUIRE); }

OE_ALWAYS_INLINE void copy(void *dst, const void *src, usize n) { __builtin_memcpy(dst, src, n); }
OE_ALWAYS_INLINE void fill(void *dst, int c, usize n) { __builtin_memset(dst, c, n); }

/* Little-endian wire helpers (x86 is LE; written so the compiler emits a single mov). */
OE_ALWAYS_INLINE void put_le32(u8 *p, u32 v) { __builtin_memcpy(p, &v, 4); }
OE_ALWAYS_INLINE void put_le64(u8 *p, u64 v) { __builtin_memcpy(p, &v, 8); }
OE_ALWAYS_INLINE u32 get_le32(const u8 *p) { u32 v; __builtin_memcpy(&v, p, 4); return v; }
OE_ALWAYS_INLINE u64 get_le64(const u8 *p) { u64 v; __builtin_memcpy(&v, p, 8); return v; }
OE_ALWAYS_INLINE u16 bswap16(u16 v) { return __builtin_bswap16(v); }
OE_ALWAYS_INLINE u32 bswap32(u32 v) { return __builtin_bswap32(v); }
OE_ALWAYS_INLINE void put_be16(u8 *p, u16 v) { v = bswap16(v); __builtin_memcpy(p, &v, 2); }
OE_ALWAYS_INLINE void put_be32(u8 *p, u32 v) { v = bswap32(v); __builtin_memcpy(p, &v, 4); }
OE_ALWAYS_INLINE u16 get_be16(const u8 *p) { u16 v; __builtin_memcpy(&v, p, 2); return bswap16(v); }
OE_ALWAYS_INLINE u32 get_be32(const u8 *p) { u32 v; __builtin_memcpy(&v, p, 4); return bswap32(v); }

} // namespace oe

/* Placement new without <new>: the core constructs objects in storage it was given at setup. Hosted
 * translation units (tests, tools) take the library's own definition instead, so both can mix. */
#if __STDC_HOSTED__ && __has_include(<new>)
#include <new>
#else
inline void *operator new(oe::usize, void *where) noexcept { return where; }
#endif
