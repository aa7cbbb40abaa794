// SPDX-License-Identifier: GPL-2.0
/*
 * The C ABI core (oe/abi.h "core API"): one Strategy whose order entry is the real TCP client,
 * tcp::Client<tcp::AbiPort, Resume>, transmitting through the platform API.
 *
 * Contexts. oe_core_init/exit and oe_request_* run in process context; handleMDPacket, oe_tcp_rx and
 * oe_poll in NAPI (one CPU owns the connection). Process context never touches the strategy: it
 * publishes a request flag (store_release) and the driver kicks NAPI; oe_poll() takes the flag
 * (atomic exchange, acquire) and acts, so the SYN/FIN leave from the poll context.
 */
#include "oe/abi.h"
#include "oe/engine.h"
#include "oe/ktest_abi.h"	/* oe_core_reset_isn_for_tests */
#include "oe/strategy.h"
#include "oe/tcp/abi_port.h"
#include "oe/tcp/client.h"
#include "oe/tcp/config.h"

namespace {

using namespace oe;

template <class Cont> using AbiClient = tcp::Client<tcp::AbiPort, Cont>;
using CoreStrategy = Strategy<AbiClient>;

constexpr int kENOMEM = 12, kEBUSY = 16, kENODEV = 19, kEINVAL = 22;
constexpr u64 kConnectRetryNs = 10000000; /* a refused connect (e.g. TIME-WAIT) is retried this often */

/* Warming's shadow (docs/strategy.md "Warming"), a block of its own: a warm run writes only here,
 * never into the live Core and its book. */
struct Warm {
	Warm(const EngineConfig &ec, void *book, u32 max_rate) : shadow(ec, book, max_rate) {}
	CoreStrategy shadow; /* the live type: the same machine code runs on it */
	u8 row[Engine::kWarmRowMax];
	u64 runs = 0, frames = 0, last_ns = 0, max_ns = 0;
};

struct Core {
	Core(const EngineConfig &ec, void *book, u32 max_rate) : strategy(ec, book, max_rate) {}
	CoreStrategy strategy;
	Warm *warm = nullptr;
	u8 connect_requested = 0;    /* process -> NAPI */
	u8 disconnect_requested = 0; /* process -> NAPI */
	bool connect_pending = false; /* NAPI only: requested, not yet started */
	u64 connect_retry_ns = 0;
};

/* Set in process context before NAPI may run and cleared after it is quiesced; read in NAPI. */
Core *g_core = nullptr;

/* RFC 6528 ISN state for the module's lifetime: keyed from oe_random_u32 at the first oe_core_init
 * (the driver's probe), it outlives every core and Client (rebuilt at each connect), so a reconnect on
 * the same 4-tuple starts above the sequence space of the incarnation before it (tcp/isn.h). */
tcp::IsnState g_isn;

/* core-level gauges after the engine, strategy and tcp counters */
const char *const kCoreStatNames[] = { "oe_strategy_state", "oe_kill_switch", "oe_connect_pending",
					"oe_warm_runs", "oe_warm_frames", "oe_warm_last_ns", "oe_warm_max_ns" };
constexpr u32 kCoreStats = sizeof(kCoreStatNames) / sizeof(kCoreStatNames[0]);
constexpr u32 kStrategyBase = kEngineCounterCount;
constexpr u32 kTcpBase = kStrategyBase + kStrategyCounterCount;
constexpr u32 kCoreBase = kTcpBase + tcp::StatCount;
constexpr u32 kStatsTotal = kCoreBase + kCoreStats;

constexpr usize round_up(usize n, usize a) { return (n + a - 1) / a * a; }

Core *core() { return read_once(g_core); }

u64 now_ns() { return oe_now_ns(); }

/* The MD path of one strategy, live (handleMDPacket) or warming's shadow (oe_warm): out of line so
 * both run one copy of the machine code, and a warm run trains the caches and predictors a real
 * trigger will use. */
__attribute__((noinline)) void md_packet(CoreStrategy &s, const u8 *p, u16 n) { s.on_md(p, n, now_ns); }

Warm *warm_create(const EngineConfig &live, u32 max_rate)
{
	const EngineConfig wc = Engine::warm_config(live);
	const usize warm_bytes = round_up(sizeof(Warm), alignof(Level));
	void *mem = oe_rt_alloc(warm_bytes + Engine::storage_bytes(wc));
	return mem ? new (mem) Warm(wc, static_cast<u8 *>(mem) + warm_bytes, max_rate) : nullptr;
}

void warm_destroy(Warm *w)
{
	if (!w)
		return;
	w->~Warm();
	oe_rt_free(w);
}

void take_requests(Core &c, u64 now)
{
	if (__atomic_exchange_n(&c.disconnect_requested, u8(0), __ATOMIC_ACQUIRE)) {
		c.connect_pending = false;
		c.strategy.start_disconnect();
	}
	if (__atomic_exchange_n(&c.connect_requested, u8(0), __ATOMIC_ACQUIRE)) {
		c.connect_pending = true;
		c.connect_retry_ns = 0;
	}
	if (c.connect_pending && now >= c.connect_retry_ns) {
		if (c.strategy.state() != StrategyState::Init || c.strategy.start_connect())
			c.connect_pending = false; /* started, or already connected: done with the request */
		else
			c.connect_retry_ns = now + kConnectRetryNs;
	}
}

} // namespace

extern "C" {

int oe_core_init(const struct oe_config *cfg)
{
	if (core())
		return -kEBUSY;
	if (!cfg)
		return -kEINVAL;
	const EngineConfig ec = engine_config_from(*cfg);
	if (!engine_config_valid(ec))
		return -kEINVAL;
	const usize core_bytes = round_up(sizeof(Core), alignof(Level));
	void *mem = oe_rt_alloc(core_bytes + Engine::storage_bytes(ec));
	if (!mem)
		return -kENOMEM;
	Core *c = new (mem) Core(ec, static_cast<u8 *>(mem) + core_bytes, cfg->max_orders_per_sec);
	g_isn.key_once(oe_random_u32);
	c->strategy.order_entry().set_isn_state(&g_isn);
	if (!c->strategy.order_entry().init(tcp::config_from_abi(*cfg))) {
		c->~Core();
		oe_rt_free(mem);
		return -kEINVAL;
	}
	c->warm = warm_create(ec, cfg->max_orders_per_sec);
	if (!c->warm) {
		c->~Core();
		oe_rt_free(mem);
		return -kENOMEM;
	}
	store_release(g_core, c);
	oe_log("oe_core_init", ec.book_capacity, ec.levels);
	return 0;
}

void oe_core_exit(void)
{
	Core *c = core();
	if (!c)
		return;
	write_once(g_core, static_cast<Core *>(nullptr));
	oe_timer_arm(0);
	c->strategy.order_entry().end_incarnation(); /* the next core's ISN starts above this one's */
	warm_destroy(c->warm);
	c->~Core();
	oe_rt_free(c);
}

void handleMDPacket(const struct UDPMDPacket *packet, u16 packetSz)
{
	Core *c = core();
	if (OE_UNLIKELY(!c))
		return;
	if (OE_UNLIKELY(!packet))
		return;
	md_packet(c->strategy, reinterpret_cast<const u8 *>(packet), packetSz);
}

/* The shadow takes the live state (read only), then the live MD path's code runs on it with a row
 * that fires; its order frame goes to the warm sink ring through its AbiPort. */
int oe_warm(void)
{
	Core *c = core();
	if (OE_UNLIKELY(!c))
		return -kENODEV;
	Warm &w = *c->warm;
	const u64 t0 = oe_now_ns();
	w.shadow.clone_for_warm(c->strategy);
	const u64 sent = w.shadow.counter(StrategyCounter::orders_sent);
	const u16 n = c->strategy.engine().warm_row(w.row, sizeof(w.row));
	if (n)
		md_packet(w.shadow, w.row, n);
	const int framed = w.shadow.counter(StrategyCounter::orders_sent) != sent;
	const u64 took = oe_now_ns() - t0;
	write_once(w.runs, w.runs + 1);
	write_once(w.frames, w.frames + u64(framed));
	write_once(w.last_ns, took);
	if (took > w.max_ns)
		write_once(w.max_ns, took);
	return framed;
}

const void *oe_core_live_block(unsigned long *bytes)
{
	Core *c = core();
	if (!c) {
		*bytes = 0;
		return nullptr;
	}
	*bytes = round_up(sizeof(Core), alignof(Level)) + Engine::storage_bytes(c->strategy.engine().config());
	return c;
}

void oe_tcp_rx(const void *ip, u16 len)
{
	Core *c = core();
	if (OE_UNLIKELY(!c || !ip))
		return;
	/* a disconnect requested before this segment is acted on first: the ACK it may carry must not
	 * release orders the disconnect purges */
	if (OE_UNLIKELY(read_once(c->disconnect_requested)))
		take_requests(*c, oe_now_ns());
	c->strategy.on_tcp(static_cast<const u8 *>(ip), len);
}

void oe_poll(void)
{
	Core *c = core();
	if (OE_UNLIKELY(!c))
		return;
	const u64 now = oe_now_ns();
	if (read_once(c->connect_requested) | read_once(c->disconnect_requested) | u8(c->connect_pending))
		take_requests(*c, now);
	c->strategy.poll(now);
}

int oe_request_connect(void)
{
	Core *c = core();
	if (!c)
		return -kENODEV;
	store_release(c->connect_requested, u8(1)); /* pairs with the acquire exchange in oe_poll */
	oe_log("oe_request_connect", 0, 0);
	return 0;
}

int oe_request_disconnect(void)
{
	Core *c = core();
	if (!c)
		return -kENODEV;
	store_release(c->disconnect_requested, u8(1));
	oe_log("oe_request_disconnect", 0, 0);
	return 0;
}

void oe_core_reset_isn_for_tests(void)
{
	if (!core())
		g_isn = tcp::IsnState{};
}

u32 oe_purge_orders(u32 reason)
{
	Core *c = core();
	if (!c)
		return 0;
	const u32 n = c->strategy.purge_orders();
	if (n)
		oe_log("oe_orders_purged", reason, n);
	return n;
}

int oe_set_kill_switch(u32 on)
{
	Core *c = core();
	if (!c)
		return -kENODEV;
	c->strategy.set_kill_switch(on != 0);
	oe_log("oe_kill_switch", on, 0);
	return 0;
}

u32 oe_strategy_state(void)
{
	Core *c = core();
	return c ? u32(c->strategy.state()) : 0;
}

u32 oe_stats_count(void) { return kStatsTotal; }

const char *oe_stats_name(u32 i)
{
	if (i < kStrategyBase)
		return Engine::counter_name(i);
	if (i < kTcpBase)
		return strategy_counter_name(i - kStrategyBase);
	if (i < kCoreBase)
		return tcp::kStatNames[i - kTcpBase];
	if (i < kStatsTotal)
		return kCoreStatNames[i - kCoreBase];
	return nullptr;
}

/* Counters are written by the NAPI CPU only; a reader elsewhere sees each u64 untorn (x86-64). */
u64 oe_stats_value(u32 i)
{
	Core *c = core();
	if (!c)
		return 0;
	if (i < kStrategyBase)
		return read_once(c->strategy.engine().counter_value(i));
	if (i < kTcpBase)
		return c->strategy.counter_value(i - kStrategyBase);
	if (i < kCoreBase)
		return c->strategy.order_entry().stats_value(i - kTcpBase);
	switch (i - kCoreBase) {
	case 0: return u64(c->strategy.state());
	case 1: return c->strategy.kill_switch() ? 1 : 0;
	case 2: return read_once(c->connect_requested) | u8(read_once(c->connect_pending));
	case 3: return read_once(c->warm->runs);
	case 4: return read_once(c->warm->frames);
	case 5: return read_once(c->warm->last_ns);
	case 6: return read_once(c->warm->max_ns);
	}
	return 0;
}

} // extern "C"
