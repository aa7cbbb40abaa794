// The exchange's state machine over real TCP and real multicast (run inside a private netns by
// tests/in_netns.sh): snapshot/transmit publishing, one connection at a time, rejected early orders,
// disconnects in every state, EOF, loop, bad lines, split and truncated orders, session limit.
#include "system_support.h"

#include <fstream>
#include <thread>

using namespace oeex;
using namespace oeex::testing;

namespace {

constexpr int kWait = 10000; // generous: ASan build on a shared 2-core machine

Order order(uint32_t qty, int64_t price, uint8_t side) { return Order{qty, price, side}; }

} // namespace

TEST(StateMachine, SnapshotThenTransmitThenEofStaysConnected)
{
	Ports p = next_ports();
	std::string file = small_md_file("sm-full.csv.gz", 50, 15000);
	auto rows = rows_of(file);
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, file, {"--rate", "20000", "--start-delay-ms", "50"}), "sm-full"));
	MulticastReceiver rx;
	ASSERT_TRUE(rx.join("239.255.0.1", p.md));
	TcpClient c;
	ASSERT_TRUE(c.connect("127.0.0.1", p.oe));
	ASSERT_TRUE(ex.wait_event("md_eof", kWait));
	auto got = drain(rx, 300);
	// every row, in file order, payload = the CSV line without newline; 100 snapshot rows first
	ASSERT_EQ(got.size(), rows.size());
	EXPECT_EQ(got, rows);
	for (size_t i = 0; i < got.size(); i++)
		EXPECT_EQ(csv_field(got[i], 4), i < 100 ? "true" : "false") << i;
	auto states = ex.events("state");
	ASSERT_GE(states.size(), 2u);
	EXPECT_NE(states[0].find("\"to\":\"HANDSHAKE\""), std::string::npos);
	EXPECT_NE(states[1].find("\"to\":\"TRANSMIT\""), std::string::npos);
	// EOF: publishing stops, the connection stays up and orders are still taken
	EXPECT_FALSE(c.wait_closed_by_peer(300));
	ASSERT_TRUE(c.send_order(order(2, 6000050000000, kSideSell)));
	auto o = ex.wait_event("order", kWait);
	ASSERT_TRUE(o);
	EXPECT_EQ(json_str(*o, "status"), "accepted");
	EXPECT_EQ(json_str(*o, "side"), "S");
	EXPECT_EQ(json_str(*o, "price"), "60000.5");
	EXPECT_EQ(json_int(*o, "qty"), 2);
	EXPECT_EQ(json_str(*o, "match"), "unexpected");
	EXPECT_TRUE(json_int(*o, "time_ns"));
	c.close();
	auto end = ex.wait_event("session_end", kWait);
	ASSERT_TRUE(end);
	EXPECT_EQ(json_str(*end, "end_reason"), "peer_closed");
	std::string md = json_object(*end, "md");
	EXPECT_EQ(json_int(md, "published"), int64_t(rows.size()));
	EXPECT_EQ(json_int(md, "snapshot_published"), 100);
	EXPECT_EQ(json_int(md, "bad_lines"), 0);
	EXPECT_EQ(json_int(md, "would_block"), 0);
	EXPECT_NE(md.find("\"eof\":true"), std::string::npos);
	EXPECT_TRUE(ex.wait_event("state", kWait, "\"to\":\"INIT\""));
	EXPECT_EQ(ex.stop(), 0);
}

TEST(StateMachine, SecondConnectionIsRefusedAndTheFirstSessionGoesOn)
{
	Ports p = next_ports();
	std::string file = small_md_file("sm-refuse.csv.gz", 50, 15000);
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, file, {"--rate", "500", "--start-delay-ms", "0"}), "sm-refuse"));
	TcpClient a, b;
	ASSERT_TRUE(a.connect("127.0.0.1", p.oe));
	ASSERT_TRUE(ex.wait_event("state", kWait, "\"to\":\"HANDSHAKE\""));
	ASSERT_TRUE(b.connect("127.0.0.1", p.oe));
	EXPECT_TRUE(b.wait_closed_by_peer(kWait)); // closed at once
	auto refused = ex.wait_event("refused", kWait);
	ASSERT_TRUE(refused);
	EXPECT_EQ(json_int(*refused, "session"), 1);
	// the first session is untouched: it reaches TRANSMIT and takes orders
	ASSERT_TRUE(ex.wait_event("state", kWait, "\"to\":\"TRANSMIT\""));
	EXPECT_FALSE(a.wait_closed_by_peer(100));
	ASSERT_TRUE(a.send_order(order(1, 100000000, kSideBuy)));
	EXPECT_TRUE(ex.wait_event("order", kWait, "\"status\":\"accepted\""));
	a.close();
	ASSERT_TRUE(ex.wait_event("session_end", kWait));
	// back in INIT a new client gets a new session
	TcpClient c;
	ASSERT_TRUE(c.connect("127.0.0.1", p.oe));
	EXPECT_TRUE(ex.wait_event("connected", kWait, "\"session\":2"));
	EXPECT_EQ(ex.events("refused").size(), 1u);
	c.close();
	EXPECT_TRUE(ex.wait_event("session_end", kWait, "\"session\":2"));
	EXPECT_EQ(ex.stop(), 0);
}

TEST(StateMachine, OrdersBeforeTransmitAreRejected)
{
	Ports p = next_ports();
	std::string file = small_md_file("sm-early.csv.gz", 50, 15000);
	std::string report = temp_dir() + "/sm-early.json";
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, file, {"--rate", "20000", "--start-delay-ms", "1500", "--report", report}),
			      "sm-early"));
	TcpClient c;
	ASSERT_TRUE(c.connect("127.0.0.1", p.oe));
	ASSERT_TRUE(ex.wait_event("state", kWait, "\"to\":\"HANDSHAKE\""));
	ASSERT_TRUE(c.send_order(order(5, 6000000000000, kSideBuy)));
	auto early = ex.wait_event("order", kWait);
	ASSERT_TRUE(early);
	EXPECT_EQ(json_str(*early, "status"), "rejected");
	EXPECT_EQ(json_str(*early, "state"), "HANDSHAKE");
	EXPECT_EQ(json_int(*early, "qty"), 5);
	ASSERT_TRUE(ex.wait_event("state", kWait, "\"to\":\"TRANSMIT\""));
	ASSERT_TRUE(c.send_order(order(6, 6000000000000, kSideBuy)));
	auto later = ex.wait_event("order", kWait, "", 2);
	ASSERT_TRUE(later);
	EXPECT_EQ(json_str(*later, "status"), "accepted");
	c.close();
	ASSERT_TRUE(ex.wait_event("session_end", kWait));
	std::ifstream in(report);
	std::string json((std::istreambuf_iterator<char>(in)), {});
	std::string orders = json_object(json, "orders");
	EXPECT_EQ(json_int(orders, "received"), 2);
	EXPECT_EQ(json_int(orders, "rejected"), 1);
	EXPECT_EQ(json_int(orders, "accepted"), 1);
	EXPECT_NE(json.find("\"reconciled\":false"), std::string::npos);
	EXPECT_EQ(ex.stop(), 0);
}

// Disconnect by FIN and by RST in each state; each time the exchange stops publishing, closes the
// session and a restarted client gets a fresh one.
TEST(StateMachine, DisconnectInEveryStateReturnsToInitAndStopsPublishing)
{
	Ports p = next_ports();
	std::string file = small_md_file("sm-disc.csv.gz", 200, 30000); // 400 snapshot rows: 1 s at 400/s
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, file, {"--rate", "400", "--burst", "1", "--start-delay-ms", "300"}),
			      "sm-disc"));
	MulticastReceiver rx;
	ASSERT_TRUE(rx.join("239.255.0.1", p.md));
	enum Phase { StartDelay, Snapshot, Transmit };
	int session = 0;
	for (Phase phase : {StartDelay, Snapshot, Transmit}) {
		for (bool rst : {false, true}) {
			session++;
			SCOPED_TRACE("phase " + std::to_string(phase) + (rst ? " RST" : " FIN"));
			TcpClient c;
			ASSERT_TRUE(c.connect("127.0.0.1", p.oe));
			std::string tag = "\"session\":" + std::to_string(session);
			ASSERT_TRUE(ex.wait_event("connected", kWait, tag));
			if (phase == Snapshot) {
				ASSERT_TRUE(rx.receive(kWait)); // publishing snapshot rows at 400/s
			}
			if (phase == Transmit) {
				ASSERT_TRUE(ex.wait_event("state", kWait, "\"to\":\"TRANSMIT\",\"why\":\"first incremental row\"," + tag));
			}
			if (rst)
				c.reset();
			else
				c.close();
			auto end = ex.wait_event("session_end", kWait, tag);
			ASSERT_TRUE(end);
			EXPECT_EQ(json_str(*end, "state_at_end"), phase == Transmit ? "TRANSMIT" : "HANDSHAKE");
			EXPECT_EQ(json_str(*end, "end_reason").value_or("").substr(0, rst ? 5 : 11), rst ? "reset" : "peer_closed");
			drain(rx, 100);
			EXPECT_FALSE(rx.receive(400)) << "still publishing after disconnect";
		}
	}
	EXPECT_EQ(ex.events("session_end").size(), 6u);
	EXPECT_EQ(ex.stop(), 0);
}

TEST(StateMachine, DisconnectAfterEofAndClientRestart)
{
	Ports p = next_ports();
	std::string file = small_md_file("sm-eof.csv.gz", 20, 4000);
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, file, {"--rate", "0", "--start-delay-ms", "0", "--sessions", "3"}), "sm-eof"));
	for (int session = 1; session <= 3; session++) {
		TcpClient c;
		ASSERT_TRUE(c.connect("127.0.0.1", p.oe));
		ASSERT_TRUE(ex.wait_event("md_eof", kWait, "\"session\":" + std::to_string(session)));
		if (session == 2)
			c.reset();
		else
			c.close();
		ASSERT_TRUE(ex.wait_event("session_end", kWait, "\"session\":" + std::to_string(session)));
	}
	EXPECT_EQ(ex.wait_exit(kWait), 0); // --sessions 3: exits by itself
}

TEST(StateMachine, OrdersAreReassembledAcrossSegmentsAndATruncatedTailIsLogged)
{
	Ports p = next_ports();
	std::string file = small_md_file("sm-split.csv.gz", 20, 4000);
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, file, {"--rate", "0", "--start-delay-ms", "0"}), "sm-split"));
	TcpClient c;
	ASSERT_TRUE(c.connect("127.0.0.1", p.oe));
	ASSERT_TRUE(ex.wait_event("state", kWait, "\"to\":\"TRANSMIT\""));
	uint8_t wire[3 * kOrderSize];
	encode_order(order(3, 6000050000000, kSideSell), wire);
	encode_order(order(4, 5999950000000, kSideBuy), wire + kOrderSize);
	encode_order(order(9, 1, kSideBuy), wire + 2 * kOrderSize);
	const size_t to_send = 2 * kOrderSize + 7; // only 7 bytes of the third order go out
	for (size_t i = 0; i < to_send; i++) {
		ASSERT_TRUE(c.send_bytes(wire + i, 1)); // one byte per segment (TCP_NODELAY)
		std::this_thread::sleep_for(std::chrono::milliseconds(3));
	}
	auto first = ex.wait_event("order", kWait);
	auto second = ex.wait_event("order", kWait, "", 2);
	ASSERT_TRUE(first && second);
	EXPECT_EQ(json_str(*first, "side"), "S");
	EXPECT_EQ(json_int(*first, "qty"), 3);
	EXPECT_EQ(json_int(*first, "price_e8"), 6000050000000);
	EXPECT_EQ(json_str(*second, "side"), "B");
	EXPECT_EQ(json_str(*second, "price"), "59999.5");
	c.close(); // disconnect mid-order
	auto truncated = ex.wait_event("order", kWait, "\"status\":\"truncated\"");
	ASSERT_TRUE(truncated);
	EXPECT_EQ(json_int(*truncated, "bytes"), 7);
	auto end = ex.wait_event("session_end", kWait);
	ASSERT_TRUE(end);
	EXPECT_EQ(json_int(json_object(*end, "orders"), "truncated"), 1);
	EXPECT_EQ(json_int(json_object(*end, "orders"), "received"), 2);
	EXPECT_EQ(ex.stop(), 0);
}

TEST(StateMachine, BadLinesAreCountedReportedAndNeverPublished)
{
	Ports p = next_ports();
	std::string text = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n"
			   "bitmex,XBTUSD,1,10,true,bid,59999.5,100\n"
			   "bitmex,XBTUSD,1,11,true,ask,60000,200\n"
			   "bitmex,XBTUSD,2,12,false,bid,59999.5\n"          // wrong field count
			   "bitmex,XBTUSD,2,13,false,bid,59999.5,12x\n"      // bad number
			   "bitmex,XBTUSD,2,14,false,middle,59999.5,300\n"   // unknown side
			   "\n"
			   "bitmex,XBTUSD,3,15,false,bid,59999.5,400\n"
			   "bitmex,XBTUSD,3,16,false,ask,60000,0\n";
	std::string file = write_gzip("sm-bad.csv.gz", text);
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, file, {"--rate", "0", "--start-delay-ms", "0"}), "sm-bad"));
	MulticastReceiver rx;
	ASSERT_TRUE(rx.join("239.255.0.1", p.md));
	TcpClient c;
	ASSERT_TRUE(c.connect("127.0.0.1", p.oe));
	ASSERT_TRUE(ex.wait_event("md_eof", kWait));
	auto got = drain(rx, 300);
	EXPECT_EQ(got, (std::vector<std::string>{"bitmex,XBTUSD,1,10,true,bid,59999.5,100", "bitmex,XBTUSD,1,11,true,ask,60000,200",
						 "bitmex,XBTUSD,3,15,false,bid,59999.5,400", "bitmex,XBTUSD,3,16,false,ask,60000,0"}));
	auto bad = ex.events("bad_line");
	ASSERT_EQ(bad.size(), 3u);
	EXPECT_EQ(json_str(bad[0], "error"), "wrong field count");
	EXPECT_EQ(json_str(bad[1], "error"), "bad amount");
	EXPECT_EQ(json_str(bad[2], "error"), "unknown side");
	EXPECT_EQ(json_int(bad[0], "line"), 4);
	c.close();
	auto end = ex.wait_event("session_end", kWait);
	ASSERT_TRUE(end);
	EXPECT_EQ(json_int(json_object(*end, "md"), "bad_lines"), 3);
	EXPECT_EQ(json_int(json_object(*end, "md"), "published"), 4);
	EXPECT_EQ(ex.stop(), 0);
}

TEST(StateMachine, LoopReplaysTheFile)
{
	Ports p = next_ports();
	std::string file = small_md_file("sm-loop.csv.gz", 10, 2000);
	size_t rows = rows_of(file).size();
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, file, {"--rate", "20000", "--start-delay-ms", "0", "--loop"}), "sm-loop"));
	MulticastReceiver rx;
	ASSERT_TRUE(rx.join("239.255.0.1", p.md));
	TcpClient c;
	ASSERT_TRUE(c.connect("127.0.0.1", p.oe));
	ASSERT_TRUE(ex.wait_event("md_loop", kWait, "\"loops\":2"));
	size_t got = 0;
	while (got < 2 * rows && rx.receive(kWait))
		got++;
	EXPECT_GE(got, 2 * rows);
	EXPECT_TRUE(ex.events("md_eof").empty());
	c.close();
	ASSERT_TRUE(ex.wait_event("session_end", kWait));
	EXPECT_EQ(ex.stop(), 0);
}

TEST(StateMachine, InterfaceTtlAndRateFlagsShapeThePublishing)
{
	Ports p = next_ports();
	std::string file = small_md_file("sm-rate.csv.gz", 20, 12000); // ~40 snapshot + ~130 updates
	size_t rows = rows_of(file).size();
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, file, {"--iface", "lo", "--ttl", "3", "--rate", "500", "--burst", "1",
						       "--start-delay-ms", "0"}),
			      "sm-rate"));
	MulticastReceiver rx;
	ASSERT_TRUE(rx.join("239.255.0.1", p.md));
	TcpClient c;
	ASSERT_TRUE(c.connect("127.0.0.1", p.oe));
	ASSERT_TRUE(rx.receive(kWait));
	uint64_t start = now_ms();
	size_t got = 1;
	while (got < rows && rx.receive(2000))
		got++;
	uint64_t elapsed = now_ms() - start;
	EXPECT_EQ(got, rows);
	// (rows - 1) gaps at 500/s; allow scheduling slack above, none below 90%
	EXPECT_GE(elapsed, uint64_t(double(rows - 1) * 2 * 0.9));
	EXPECT_LE(elapsed, uint64_t(double(rows - 1) * 2 * 3 + 2000));
	c.close();
	ASSERT_TRUE(ex.wait_event("session_end", kWait));
	EXPECT_EQ(ex.stop(), 0);
}

TEST(StateMachine, SpeedReplaysByLocalTimestamp)
{
	Ports p = next_ports();
	std::string text = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n";
	for (int i = 0; i < 6; i++) // 200 ms apart in local_timestamp
		text += "bitmex,XBTUSD,1," + std::to_string(1000000 + i * 200000) + ",false,bid,59999.5," + std::to_string(i + 1) + "\n";
	std::string file = write_gzip("sm-speed.csv.gz", text);
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, file, {"--speed", "2", "--start-delay-ms", "0"}), "sm-speed"));
	MulticastReceiver rx;
	ASSERT_TRUE(rx.join("239.255.0.1", p.md));
	TcpClient c;
	ASSERT_TRUE(c.connect("127.0.0.1", p.oe));
	ASSERT_TRUE(rx.receive(kWait));
	uint64_t start = now_ms();
	for (int i = 1; i < 6; i++)
		ASSERT_TRUE(rx.receive(kWait));
	uint64_t elapsed = now_ms() - start; // 1 s of market time at 2x = 500 ms
	EXPECT_GE(elapsed, 450u);
	EXPECT_LE(elapsed, 3000u); // loose: a loaded 2-core box
	c.close();
	EXPECT_EQ(ex.stop(), 0);
}

TEST(StateMachine, SigtermEndsTheSessionWithAReportAndExitsCleanly)
{
	Ports p = next_ports();
	std::string file = small_md_file("sm-term.csv.gz", 50, 15000);
	std::string report = temp_dir() + "/sm-term.json";
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch(exchange_args(p, file, {"--rate", "200", "--start-delay-ms", "0", "--report", report}), "sm-term"));
	TcpClient c;
	ASSERT_TRUE(c.connect("127.0.0.1", p.oe));
	ASSERT_TRUE(ex.wait_event("state", kWait, "\"to\":\"HANDSHAKE\""));
	EXPECT_EQ(ex.stop(), 0); // SIGTERM
	auto end = ex.wait_event("session_end", 1000);
	ASSERT_TRUE(end);
	EXPECT_EQ(json_str(*end, "end_reason"), "shutdown");
	std::ifstream in(report);
	std::string json((std::istreambuf_iterator<char>(in)), {});
	EXPECT_NE(json.find("\"end_reason\":\"shutdown\""), std::string::npos);
	EXPECT_TRUE(c.wait_closed_by_peer(kWait));
	EXPECT_TRUE(ex.wait_event("exit", 1000));
}
