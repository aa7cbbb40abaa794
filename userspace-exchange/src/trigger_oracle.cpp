#include "trigger_oracle.h"

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "fixed_point.h"
#include "json_out.h"
#include "oe/abi.h"
#include "oe/engine.h"

namespace oeex {

struct TriggerOracle::Impl {
	oe::EngineConfig config{};
	void *storage = nullptr;
	oe::Engine *engine = nullptr;

	void destroy()
	{
		if (engine)
			engine->~Engine();
		engine = nullptr;
	}
	void build()
	{
		destroy();
		std::memset(storage, 0, oe::Engine::storage_bytes(config));
		engine = new (engine_slot) oe::Engine(config, storage);
	}
	~Impl()
	{
		destroy();
		std::free(storage);
	}
	alignas(oe::Engine) unsigned char engine_slot[sizeof(oe::Engine)];
};

TriggerOracle::TriggerOracle(const TriggerSettings &s) : impl_(std::make_unique<Impl>())
{
	oe_config c;
	oe_config_defaults(&c);
	if (s.symbol.size() >= sizeof c.symbol)
		throw std::invalid_argument("symbol too long");
	std::memset(c.symbol, 0, sizeof c.symbol);
	std::memcpy(c.symbol, s.symbol.data(), s.symbol.size());
	if (s.size_threshold >= 0)
		c.size_threshold = s.size_threshold;
	if (s.notional_threshold >= 0)
		c.notional_threshold = s.notional_threshold;
	if (s.notional_mode)
		c.mode = OE_TRIGGER_NOTIONAL;
	if (s.levels)
		c.levels = s.levels;
	if (s.order_qty)
		c.order_qty = s.order_qty;
	if (s.book_capacity)
		c.book_capacity = s.book_capacity;
	impl_->config = oe::engine_config_from(c);
	if (!oe::engine_config_valid(impl_->config))
		throw std::invalid_argument("trigger configuration rejected by the strategy engine");
	size_t bytes = oe::Engine::storage_bytes(impl_->config);
	impl_->storage = std::aligned_alloc(alignof(oe::Level), (bytes + alignof(oe::Level) - 1) / alignof(oe::Level) * alignof(oe::Level));
	if (!impl_->storage)
		throw std::bad_alloc();
	impl_->build();
}

TriggerOracle::~TriggerOracle() = default;

void TriggerOracle::reset()
{
	impl_->build();
}

std::optional<ExpectedOrder> TriggerOracle::on_payload(std::string_view payload)
{
	if (payload.size() > 0xffff)
		return std::nullopt;
	oe::Decision d = impl_->engine->on_packet(reinterpret_cast<const oe::u8 *>(payload.data()), oe::u16(payload.size()));
	if (!d.fire)
		return std::nullopt;
	return ExpectedOrder{d.seq, Order{d.qty, d.price, d.side}};
}

std::string TriggerOracle::describe_json() const
{
	const oe::EngineConfig &c = impl_->config;
	JsonObject o;
	o.add("symbol", std::string(c.symbol))
		.add("mode", c.mode == OE_TRIGGER_NOTIONAL ? "notional" : "size")
		.add("levels", c.levels)
		.add("size_threshold", format_fixed(c.size_threshold))
		.add("notional_threshold", format_fixed(c.notional_threshold))
		.add("qty", c.order_qty)
		.add("book_capacity", c.book_capacity);
	return o.str();
}

uint64_t TriggerOracle::triggers_without_order() const
{
	return impl_->engine->counter(oe::EngineCounter::trigger_no_other_side) +
	       impl_->engine->counter(oe::EngineCounter::trigger_crossed);
}

uint64_t TriggerOracle::parse_drops() const
{
	return impl_->engine->parse_drops_total();
}

} // namespace oeex
