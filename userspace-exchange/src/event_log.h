// The exchange's stdout: one JSON object per line, "event" first, times both as ISO-8601 UTC (for
// people) and as integer nanoseconds (for scripts). Flushed per line: events are rare (orders,
// state changes, errors), never per published packet.
#pragma once
#include <cstdint>
#include <string>

#include "json_out.h"

namespace oeex {

uint64_t realtime_ns();  // CLOCK_REALTIME, the clock SO_TIMESTAMPING software stamps use
uint64_t monotonic_ns(); // CLOCK_MONOTONIC, for pacing
std::string iso8601_utc(uint64_t realtime_ns);

// Starts an event line: {"event":name,"time":...,"time_ns":...
JsonObject event(const char *name, uint64_t when_ns = 0);
void emit(const JsonObject &line);

} // namespace oeex
