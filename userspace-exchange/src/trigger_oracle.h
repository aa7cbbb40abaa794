// The exchange's knowledge of which packets must produce an order: the strategy's own oe::Engine
// (strategy/, libstrategy_core.a) run over every payload the exchange publishes, byte for byte what
// the subscriber sees. No second copy of the parser, book or trigger lives here.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "order_wire.h"

struct oe_config;

namespace oeex {

// The trigger parameters both sides must agree on (CLI mirrors strategy-replay's flags).
struct TriggerSettings {
	std::string symbol;          // empty = first symbol seen
	int64_t size_threshold = -1; // 1e-8 units; -1 = abi.h default
	int64_t notional_threshold = -1;
	bool notional_mode = false;
	uint32_t levels = 0;        // 0 = default
	uint32_t order_qty = 0;     // 0 = default
	uint32_t book_capacity = 0; // 0 = default
};

struct ExpectedOrder {
	uint64_t seq; // local_timestamp of the row that fired
	Order order;
};

class TriggerOracle {
public:
	// Throws std::invalid_argument when the engine rejects the configuration.
	explicit TriggerOracle(const TriggerSettings &settings);
	~TriggerOracle();

	// Fresh engine (empty book) for a new session: the subscriber starts from nothing too.
	void reset();
	std::optional<ExpectedOrder> on_payload(std::string_view payload);

	// Effective configuration after defaults, for the report.
	std::string describe_json() const;
	uint64_t triggers_without_order() const; // trigger_no_other_side + trigger_crossed
	uint64_t parse_drops() const;

private:
	struct Impl;
	std::unique_ptr<Impl> impl_;
};

} // namespace oeex
