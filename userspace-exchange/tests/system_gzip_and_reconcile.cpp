// Damaged input files, and tick-to-trade reconciliation with scripted clients (tests/oeclient.cpp,
// which runs the strategy's engine): right orders are clean, skipped and invented ones are caught.
#include "system_support.h"

#include <fstream>

using namespace oeex;
using namespace oeex::testing;

namespace {

constexpr int kWait = 20000;

std::string damaged_copy(const std::string &name, bool truncate)
{
	std::ifstream in(sample_file(), std::ios::binary);
	std::string bytes((std::istreambuf_iterator<char>(in)), {});
	if (truncate) {
		bytes.resize(bytes.size() / 2);
	} else {
		for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 256; i++)
			bytes[i] = char(bytes[i] ^ 0xa5);
	}
	std::string path = temp_dir() + "/" + name;
	std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
	return path;
}

struct ClientRun {
	int exit_code;
	std::string summary;
};

ClientRun run_client(const Ports &p, std::vector<std::string> extra, const std::string &name)
{
	std::vector<std::string> args = {"--port", std::to_string(p.oe), "--md-port", std::to_string(p.md), "--idle-ms", "4000"};
	args.insert(args.end(), extra.begin(), extra.end());
	ChildProcess client;
	std::string out = temp_dir() + "/" + name + ".client";
	client.start(env_or("OEEX_OECLIENT", "build/host/userspace-exchange/oeclient"), args, out);
	int rc = client.wait_exit(60000);
	return ClientRun{rc, client.output()};
}

} // namespace

TEST(DamagedGzip, TruncatedOrCorruptFileGivesAClearErrorAndACleanReturnToInit)
{
	for (bool truncate : {true, false}) {
		SCOPED_TRACE(truncate ? "truncated" : "corrupt");
		Ports p = next_ports();
		std::string file = damaged_copy(truncate ? "trunc.csv.gz" : "corrupt.csv.gz", truncate);
		ExchangeProcess ex;
		ASSERT_TRUE(ex.launch(exchange_args(p, file, {"--rate", "0", "--start-delay-ms", "0"}),
				      truncate ? "gz-trunc" : "gz-corrupt"));
		for (int session = 1; session <= 2; session++) { // and again: the exchange is still serving
			TcpClient c;
			ASSERT_TRUE(c.connect("127.0.0.1", p.oe));
			std::string tag = "\"session\":" + std::to_string(session);
			auto err = ex.wait_event("md_error", kWait, tag);
			ASSERT_TRUE(err);
			if (truncate) {
				EXPECT_NE(err->find("truncated"), std::string::npos) << *err;
			}
			EXPECT_TRUE(c.wait_closed_by_peer(kWait)); // connection closed by the exchange
			auto end = ex.wait_event("session_end", kWait, tag);
			ASSERT_TRUE(end);
			EXPECT_EQ(json_str(*end, "end_reason"), "md_file_error");
			EXPECT_TRUE(ex.wait_event("state", kWait, "\"to\":\"INIT\",\"why\":\"md_file_error\"," + tag));
		}
		EXPECT_EQ(ex.stop(), 0); // clean exit, no crash, no sanitizer report
	}
}

TEST(Reconciliation, AClientFiringTheRightOrdersIsClean)
{
	Ports p = next_ports();
	std::string report = temp_dir() + "/rec-clean.json";
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, sample_file(), {"--rate", "20000", "--burst", "16", "--start-delay-ms", "200",
								"--report", report, "--sessions", "1"}),
			      "rec-clean"));
	ClientRun run = run_client(p, {}, "rec-clean");
	ASSERT_EQ(run.exit_code, 0) << run.summary;
	ASSERT_EQ(ex.wait_exit(kWait), 0);
	std::ifstream in(report);
	std::string json((std::istreambuf_iterator<char>(in)), {});
	std::string triggers = json_object(json, "triggers");
	std::string orders = json_object(json, "orders");
	int64_t decided = json_int(run.summary, "decided").value_or(-1);
	EXPECT_GE(decided, 24);
	EXPECT_EQ(json_int(triggers, "expected"), decided);
	EXPECT_EQ(json_int(triggers, "matched"), decided);
	EXPECT_EQ(json_int(triggers, "missed"), 0);
	EXPECT_EQ(json_int(orders, "unexpected"), 0);
	EXPECT_EQ(json_int(orders, "rejected"), 0);
	EXPECT_NE(json.find("\"reconciled\":true"), std::string::npos);
	std::string t2t = json_object(json, "tick_to_trade_ns");
	EXPECT_EQ(json_int(t2t, "count"), decided);
	EXPECT_GT(json_int(t2t, "min").value_or(0), 0);
	EXPECT_LE(json_int(t2t, "min").value_or(0), json_int(t2t, "p50").value_or(-1));
	EXPECT_LE(json_int(t2t, "p99").value_or(0), json_int(t2t, "max").value_or(-1));
	EXPECT_EQ(json_int(json_object(json, "timestamps"), "tx_missing"), 0);
}

TEST(Reconciliation, SkippedOrdersAreMissedAndInventedOnesUnexpected)
{
	Ports p = next_ports();
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, sample_file(), {"--rate", "20000", "--burst", "16", "--start-delay-ms", "200",
								"--sessions", "2"}),
			      "rec-bad"));
	ClientRun skip = run_client(p, {"--skip-every", "4"}, "rec-skip");
	ASSERT_EQ(skip.exit_code, 0);
	auto first = ex.wait_event("session_end", kWait, "\"session\":1");
	ASSERT_TRUE(first);
	int64_t skipped = json_int(skip.summary, "skipped").value_or(-1);
	EXPECT_GT(skipped, 0);
	EXPECT_EQ(json_int(json_object(*first, "triggers"), "missed"), skipped);
	EXPECT_EQ(json_int(json_object(*first, "orders"), "unexpected"), 0);
	EXPECT_NE(first->find("\"reconciled\":false"), std::string::npos);

	ClientRun invent = run_client(p, {"--invent", "3"}, "rec-invent");
	ASSERT_EQ(invent.exit_code, 0);
	auto second = ex.wait_event("session_end", kWait, "\"session\":2");
	ASSERT_TRUE(second);
	EXPECT_EQ(json_int(json_object(*second, "orders"), "unexpected"), 3);
	EXPECT_EQ(json_int(json_object(*second, "triggers"), "missed"), 0);
	EXPECT_EQ(json_int(json_object(*second, "orders"), "matched"), json_int(invent.summary, "sent"));
	EXPECT_EQ(ex.wait_exit(kWait), 0);
}

TEST(Reconciliation, BounceModeTimesReflectedFramesBySeq)
{
	Ports p = next_ports();
	uint16_t bounce = uint16_t(p.oe + 2000);
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, sample_file(), {"--rate", "20000", "--start-delay-ms", "200", "--bounce-port",
								std::to_string(bounce), "--sessions", "2"}),
			      "rec-bounce"));
	ClientRun triggers_only = run_client(p, {"--bounce-port", std::to_string(bounce)}, "rec-bounce1");
	ASSERT_EQ(triggers_only.exit_code, 0);
	auto first = ex.wait_event("session_end", kWait, "\"session\":1");
	ASSERT_TRUE(first);
	EXPECT_EQ(json_int(json_object(*first, "triggers"), "matched"), json_int(triggers_only.summary, "bounced"));
	EXPECT_EQ(json_int(json_object(*first, "triggers"), "missed"), 0);
	EXPECT_EQ(json_int(json_object(*first, "orders"), "unexpected"), 0);
	EXPECT_GT(json_int(json_object(*first, "tick_to_trade_ns"), "count").value_or(0), 0);
	ClientRun stray = run_client(p, {"--bounce-port", std::to_string(bounce), "--bounce-all"}, "rec-bounce2");
	auto second = ex.wait_event("session_end", kWait, "\"session\":2");
	ASSERT_TRUE(second);
	// without --bounce-all on the exchange only trigger packets expect a bounce: the others are
	// unexpected — every one accounted for
	int64_t all = json_int(stray.summary, "bounced").value_or(0);
	std::string orders = json_object(*second, "orders");
	int64_t matched = json_int(json_object(*second, "triggers"), "matched").value_or(-1);
	EXPECT_GT(json_int(orders, "unexpected").value_or(0), 0);
	EXPECT_EQ(json_int(orders, "bounces"), all);
	EXPECT_EQ(json_int(orders, "unexpected").value_or(0) + json_int(orders, "rejected").value_or(0) + matched, all);
	EXPECT_EQ(ex.wait_exit(kWait), 0);
}

TEST(Reconciliation, BounceAllExpectsEveryIncrementalRow)
{
	Ports p = next_ports();
	uint16_t bounce = uint16_t(p.oe + 2000);
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, sample_file(), {"--rate", "20000", "--start-delay-ms", "200", "--bounce-port",
								std::to_string(bounce), "--bounce-all", "--sessions", "1"}),
			      "rec-bounce-all"));
	ClientRun run = run_client(p, {"--bounce-port", std::to_string(bounce), "--bounce-all"}, "rec-bounce-all");
	ASSERT_EQ(run.exit_code, 0);
	auto end = ex.wait_event("session_end", kWait);
	ASSERT_TRUE(end);
	std::string md = json_object(*end, "md");
	int64_t incremental = json_int(md, "published").value_or(0) - json_int(md, "snapshot_published").value_or(0);
	EXPECT_GT(incremental, 10000);
	EXPECT_EQ(json_int(run.summary, "bounced"), incremental);
	EXPECT_EQ(json_int(json_object(*end, "triggers"), "expected"), incremental);
	EXPECT_EQ(json_int(json_object(*end, "triggers"), "matched").value_or(0) +
			  json_int(json_object(*end, "orders"), "bounces_dropped").value_or(0),
		  incremental);
	// every bounce is accounted for: matched, or dropped by the kernel and counted as such
	std::string orders = json_object(*end, "orders");
	EXPECT_EQ(json_int(orders, "bounces").value_or(0) + json_int(orders, "bounces_dropped").value_or(0), incremental);
	EXPECT_EQ(json_int(json_object(*end, "triggers"), "missed"), json_int(orders, "bounces_dropped"));
	EXPECT_EQ(json_int(orders, "unexpected"), 0);
	if (json_int(orders, "bounces_dropped") == 0) {
		EXPECT_NE(end->find("\"reconciled\":true"), std::string::npos);
	}
	EXPECT_EQ(ex.wait_exit(kWait), 0);
}
