// How a session ends when the client cannot say so, and when the exchange is stopped while orders
// are still on their way (issue 15, the faults scenario's accounting). Real TCP, the Linux stack as
// the peer; run inside the private netns of tests/in_netns.sh. The vanishing client lives in one
// more namespace the test creates ($OEEX_NETNS-c, a veth pair 10.78.0.0/24 that exists only there
// and in the test's namespace), so its link can be taken down under it: no FIN, no RST, no ICMP.
#include "system_support.h"

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sched.h>
#include <unistd.h>

using namespace oeex;
using namespace oeex::testing;

namespace {

constexpr int kWait = 10000; // generous: ASan build on a shared 2-core machine

bool sh(const std::string &cmd)
{
	return std::system(cmd.c_str()) == 0;
}

Order order(uint32_t qty) { return Order{qty, 6000050000000, kSideBuy}; }

struct ClientNamespace {
	std::string name = env_or("OEEX_NETNS", "oeex-" + std::to_string(getpid())) + "-c";
	bool up = false;
	ClientNamespace()
	{
		sh("ip netns del " + name + " 2>/dev/null");
		up = sh("ip netns add " + name) && sh("ip link add oeexk0 type veth peer name oeexk1 netns " + name) &&
		     sh("ip addr add 10.78.0.1/24 dev oeexk0") && sh("ip link set oeexk0 up") &&
		     sh("ip -n " + name + " addr add 10.78.0.2/24 dev oeexk1") && sh("ip -n " + name + " link set lo up") &&
		     sh("ip -n " + name + " link set oeexk1 up");
	}
	~ClientNamespace()
	{
		sh("ip link del oeexk0 2>/dev/null");
		sh("ip netns del " + name + " 2>/dev/null");
	}
	// The socket is created (and stays) in the client namespace; the test process returns to its own.
	bool connect(TcpClient &c, const std::string &host, uint16_t port)
	{
		int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		int there = open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
		bool ok = home >= 0 && there >= 0 && setns(there, CLONE_NEWNET) == 0;
		if (ok) {
			ok = c.connect(host, port);
			if (setns(home, CLONE_NEWNET) != 0)
				std::abort(); // the rest of the suite must not run in the wrong namespace
		}
		if (home >= 0)
			close(home);
		if (there >= 0)
			close(there);
		return ok;
	}
	bool vanish() { return sh("ip -n " + name + " link set oeexk1 down"); }
};

} // namespace

// --keepalive-s 1: probes after 1 s idle, every 1 s, 3 unanswered end the session. A client that
// answers them keeps its session; one whose link is gone loses it within seconds, with end_reason
// keepalive_timeout. The same vanished client of an exchange without the flag still holds its
// session (the exchange never writes on it, so it cannot notice) after that time and as long again.
TEST(SessionEnd, VanishedClientEndsTheSessionOnlyWithKeepalive)
{
	ClientNamespace ns;
	ASSERT_TRUE(ns.up) << "could not build the client namespace (needs root and tests/in_netns.sh)";
	std::string file = small_md_file("ka.csv.gz", 10, 2000);
	auto args = [&](const Ports &p, std::vector<std::string> extra) {
		std::vector<std::string> a = {"--bind", "10.78.0.1", "--port", std::to_string(p.oe), "--md-port",
					      std::to_string(p.md), "--file", file, "--rate", "0", "--start-delay-ms", "0"};
		a.insert(a.end(), extra.begin(), extra.end());
		return a;
	};
	Ports on = next_ports(), off = next_ports();
	ExchangeProcess with, without;
	ASSERT_TRUE(with.launch(args(on, {"--keepalive-s", "1"}), "ka-on"));
	ASSERT_TRUE(without.launch(args(off, {}), "ka-off"));
	auto listening_on = with.wait_event("listening", kWait), listening_off = without.wait_event("listening", kWait);
	ASSERT_TRUE(listening_on && listening_off);
	EXPECT_EQ(json_int(*listening_on, "keepalive_s"), 1);
	EXPECT_EQ(json_int(*listening_off, "keepalive_s"), 0);
	TcpClient a, b;
	ASSERT_TRUE(ns.connect(a, "10.78.0.1", on.oe));
	ASSERT_TRUE(ns.connect(b, "10.78.0.1", off.oe));
	// the file is published to its end: from here on nothing but keepalive goes over the connection
	ASSERT_TRUE(with.wait_event("md_eof", kWait));
	ASSERT_TRUE(without.wait_event("md_eof", kWait));
	// a live client answers the probes: 5 s is past idle + 3 unanswered probes (4 s)
	EXPECT_FALSE(with.wait_event("session_end", 5000)) << "keepalive ended a session whose client is alive";

	ASSERT_TRUE(ns.vanish());
	uint64_t vanished = now_ms();
	auto end = with.wait_event("session_end", 20000);
	uint64_t took = now_ms() - vanished;
	ASSERT_TRUE(end) << "the vanished client still holds the session after 20 s with --keepalive-s 1";
	EXPECT_EQ(json_str(*end, "end_reason"), "keepalive_timeout");
	EXPECT_EQ(json_str(*end, "state_at_end"), "TRANSMIT");
	EXPECT_TRUE(with.wait_event("state", kWait, "\"to\":\"INIT\",\"why\":\"keepalive_timeout\""));
	// without the flag: still open after the same time, and after as long again
	EXPECT_FALSE(without.wait_event("session_end", int(took)))
		<< "the exchange without --keepalive-s ended the session by itself";
	EXPECT_TRUE(without.events("session_end").empty());

	EXPECT_EQ(with.stop(), 0);
	EXPECT_EQ(without.stop(), 0);
	auto off_end = without.wait_event("session_end", 1000);
	ASSERT_TRUE(off_end);
	EXPECT_EQ(json_str(*off_end, "end_reason"), "shutdown");
}

// The stop signal comes while the client is still writing (as at the faults scenario's exchange
// restart): a burst before it, then an order every 5 ms for 100 ms after it. Every order the client
// wrote is in the session's reconciliation, the exchange says it drained and for how long, and it
// published no market data after the signal beyond what was already in flight.
TEST(SessionEnd, SigtermDrainsOrdersAlreadyOnTheirWay)
{
	Ports p = next_ports();
	std::string file = small_md_file("drain.csv.gz", 20, 8000);
	std::string report = temp_dir() + "/drain.json";
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, file, {"--rate", "2000", "--loop", "--start-delay-ms", "0", "--report", report}),
			      "drain"));
	TcpClient c;
	ASSERT_TRUE(c.connect("127.0.0.1", p.oe));
	ASSERT_TRUE(ex.wait_event("state", kWait, "\"to\":\"TRANSMIT\""));
	constexpr int kBefore = 20, kAfter = 20;
	int written = 0;
	for (int i = 0; i < kBefore && c.send_order(order(uint32_t(i + 1))); i++)
		written++;
	ASSERT_EQ(kill(ex.pid(), SIGTERM), 0);
	for (int i = 0; i < kAfter && c.send_order(order(uint32_t(kBefore + i + 1))); i++) {
		written++;
		usleep(5000);
	}
	EXPECT_EQ(written, kBefore + kAfter) << "the exchange closed the connection while the client was writing";
	ASSERT_EQ(ex.wait_exit(kWait), 0);

	auto end = ex.wait_event("session_end", 0);
	ASSERT_TRUE(end);
	EXPECT_EQ(json_str(*end, "end_reason"), "shutdown");
	std::string orders = json_object(*end, "orders");
	EXPECT_EQ(json_int(orders, "received"), written) << orders;
	EXPECT_EQ(json_int(orders, "accepted"), written);
	EXPECT_EQ(json_int(orders, "truncated"), 0);
	EXPECT_EQ(json_int(orders, "bytes"), int64_t(written) * int64_t(kOrderSize));

	auto draining = ex.wait_event("draining", 0);
	auto drained = ex.wait_event("drained", 0);
	ASSERT_TRUE(draining && drained);
	EXPECT_EQ(json_str(*draining, "state"), "TRANSMIT");
	EXPECT_EQ(json_str(*drained, "why"), "quiet");
	EXPECT_GE(json_int(*drained, "ms").value_or(0), 300); // at least the quiet window
	EXPECT_LE(json_int(*drained, "ms").value_or(9999), 2000);
	EXPECT_GE(json_int(*drained, "orders").value_or(0), 1);
	EXPECT_LE(json_int(*drained, "orders").value_or(999), written);
	// publishing stopped at the signal: at 2000 msgs/s a drain of >= 300 ms would add >= 600 more
	int64_t at_signal = json_int(*draining, "md_published").value_or(-1);
	int64_t at_end = json_int(json_object(*end, "md"), "published").value_or(-1);
	ASSERT_GE(at_signal, 0);
	EXPECT_LE(at_end - at_signal, 16) << "market data went on during the drain";
	// the report file carries the same reconciliation
	std::ifstream in(report);
	std::string json((std::istreambuf_iterator<char>(in)), {});
	EXPECT_EQ(json_int(json_object(json, "orders"), "received"), written);
}

// An exchange replaying a small file in a loop at 2,000 msgs/s, one client connected and in TRANSMIT.
static ::testing::AssertionResult looping_session(ExchangeProcess &ex, TcpClient &c, const std::string &name)
{
	Ports p = next_ports();
	if (!ex.launch(exchange_args(p, small_md_file(name + ".csv.gz", 20, 8000),
				     {"--rate", "2000", "--loop", "--start-delay-ms", "0"}), name))
		return ::testing::AssertionFailure() << "the exchange did not start";
	if (!c.connect("127.0.0.1", p.oe))
		return ::testing::AssertionFailure() << "no connection to port " << p.oe;
	if (!ex.wait_event("state", kWait, "\"to\":\"TRANSMIT\""))
		return ::testing::AssertionFailure() << "the session never reached TRANSMIT";
	return ::testing::AssertionSuccess();
}

// A client that keeps writing does not hold the exchange up: the drain ends 2 s after the signal,
// the session is reported and the connection closed under the writer.
TEST(SessionEnd, DrainEndsAfterTwoSecondsWhileOrdersKeepComing)
{
	ExchangeProcess ex;
	TcpClient c;
	ASSERT_TRUE(looping_session(ex, c, "drain-cap"));
	ASSERT_EQ(kill(ex.pid(), SIGTERM), 0);
	uint64_t signalled = now_ms();
	int written = 0;
	// an order every 10 ms, far inside the 300 ms quiet window, until the exchange closes on us
	while (now_ms() - signalled < 10000 && c.send_order(order(1))) {
		written++;
		usleep(10000);
	}
	ASSERT_EQ(ex.wait_exit(kWait), 0);
	auto drained = ex.wait_event("drained", 0);
	ASSERT_TRUE(drained);
	EXPECT_EQ(json_str(*drained, "why"), "time limit");
	EXPECT_GE(json_int(*drained, "ms").value_or(0), 2000);
	EXPECT_LE(json_int(*drained, "ms").value_or(99999), 3000);
	EXPECT_GT(json_int(*drained, "orders").value_or(0), 50); // it did read during the drain
	auto end = ex.wait_event("session_end", 0);
	ASSERT_TRUE(end);
	EXPECT_EQ(json_str(*end, "end_reason"), "shutdown");
	EXPECT_LE(json_int(json_object(*end, "orders"), "received").value_or(-1), written);
}

// A trigger still unanswered keeps the drain open past the quiet window, up to the time limit: a
// client that lags the feed (a TCG guest) answers after 300 ms of quiet, and that order must be
// read. The faults scenario counted 57 sent, 56 received when the drain ended on quiet alone.
TEST(SessionEnd, DrainWaitsForTriggersStillOpen)
{
	Ports p = next_ports();
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, sample_file(), {"--rate", "2000", "--start-delay-ms", "0"}), "drain-open"));
	TcpClient c;
	ASSERT_TRUE(c.connect("127.0.0.1", p.oe));
	ASSERT_TRUE(ex.wait_event("state", kWait, "\"to\":\"TRANSMIT\""));
	usleep(1500000); // 3,000 rows of the sample published: triggers among them, none answered
	ASSERT_EQ(kill(ex.pid(), SIGTERM), 0);
	ASSERT_EQ(ex.wait_exit(kWait), 0);
	auto end = ex.wait_event("session_end", 0);
	ASSERT_TRUE(end);
	ASSERT_GT(json_int(json_object(*end, "triggers"), "expected").value_or(0), 0) << *end;
	auto drained = ex.wait_event("drained", 0);
	ASSERT_TRUE(drained);
	EXPECT_EQ(json_str(*drained, "why"), "time limit") << *drained;
	EXPECT_GE(json_int(*drained, "ms").value_or(0), 2000);
	EXPECT_GT(json_int(*drained, "open_triggers").value_or(0), 0);
}

// A second signal during the drain ends it at once (an operator who means it), even while orders
// are still coming.
TEST(SessionEnd, SecondSignalEndsTheDrainAtOnce)
{
	ExchangeProcess ex;
	TcpClient c;
	ASSERT_TRUE(looping_session(ex, c, "drain-twice"));
	ASSERT_EQ(kill(ex.pid(), SIGTERM), 0);
	// orders every 10 ms keep the drain from ending as quiet; once it has begun, SIGINT
	bool second = false;
	uint64_t start = now_ms();
	while (ex.running() && now_ms() - start < kWait) {
		c.send_order(order(1)); // fails once the exchange has closed: fine
		if (!second && !ex.events("draining").empty())
			second = kill(ex.pid(), SIGINT) == 0;
		usleep(10000);
	}
	ASSERT_TRUE(second);
	ASSERT_EQ(ex.wait_exit(kWait), 0);
	auto drained = ex.wait_event("drained", 0);
	ASSERT_TRUE(drained);
	EXPECT_EQ(json_str(*drained, "why"), "second signal");
	EXPECT_LT(json_int(*drained, "ms").value_or(99999), 2000);
	EXPECT_TRUE(ex.wait_event("session_end", 0, "\"reason\":\"shutdown\""));
	EXPECT_TRUE(c.wait_closed_by_peer(kWait));
}
