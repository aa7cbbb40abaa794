// Shared pieces of the system tests: unique ports per test, small market-data files written with
// the generator, and launching the exchange with the common flags.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_net.h"
#include "test_process.h"

namespace oeex::testing {

struct Ports {
	uint16_t oe, md;
};
Ports next_ports();

// Generated XBTUSD-like file: `levels` snapshot rows per side, then updates up to `bytes` of payload.
std::string small_md_file(const std::string &name, uint32_t levels, uint64_t bytes, uint64_t seed = 7);
std::string write_gzip(const std::string &name, const std::string &text);
std::string sample_file();

std::vector<std::string> exchange_args(const Ports &p, const std::string &file, std::vector<std::string> extra);

// Receive until idle_ms passes without a datagram.
std::vector<std::string> drain(MulticastReceiver &rx, int idle_ms);
// Number of rows (non-header lines) of a gzip CSV.
std::vector<std::string> rows_of(const std::string &gz_path);

} // namespace oeex::testing
