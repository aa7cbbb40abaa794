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

// A slow link inside the test's own netns (tests/in_netns.sh): a veth pair oeexv0 10.77.0.1 ->
// oeexv1 10.77.0.2 whose sending side has a token-bucket qdisc of `rate` (tc syntax, "2mbit").
// Loopback frees a send buffer at once; behind this qdisc the MD socket's buffer fills up.
struct SlowLink {
	bool up = false;
	explicit SlowLink(const std::string &rate = "2mbit");
	~SlowLink();
	SlowLink(const SlowLink &) = delete;
	SlowLink &operator=(const SlowLink &) = delete;
};

} // namespace oeex::testing
