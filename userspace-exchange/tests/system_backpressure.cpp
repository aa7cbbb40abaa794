// A full socket buffer is counted and retried, never silently dropped. Loopback frees the send
// buffer at once, so this test builds a slow link inside the test's own netns (SlowLink: a veth pair
// whose sending side has a 2 Mbit/s token-bucket qdisc) and a 4 KiB SO_SNDBUF on the exchange.
#include "system_support.h"

#include <algorithm>

using namespace oeex;
using namespace oeex::testing;

TEST(Backpressure, FullSocketBufferIsCountedAndEveryDatagramStillArrives)
{
	SlowLink link;
	ASSERT_TRUE(link.up) << "could not build the veth/tbf link (needs the netns from tests/in_netns.sh)";
	Ports p = next_ports();
	std::string file = small_md_file("bp.csv.gz", 50, 60000);
	auto rows = rows_of(file);
	ExchangeProcess ex;
	ASSERT_TRUE(ex.launch({"--bind", "10.77.0.1", "--port", std::to_string(p.oe), "--md-port", std::to_string(p.md),
			       "--iface", "oeexv0", "--sndbuf", "4096", "--rate", "0", "--burst", "64", "--start-delay-ms",
			       "0", "--file", file},
			      "backpressure"));
	MulticastReceiver rx;
	ASSERT_TRUE(rx.join("239.255.0.1", p.md, "10.77.0.2"));
	TcpClient c;
	ASSERT_TRUE(c.connect("10.77.0.1", p.oe));
	ASSERT_TRUE(ex.wait_event("md_eof", 30000));
	auto got = drain(rx, 1000);
	c.close();
	auto end = ex.wait_event("session_end", 10000);
	ASSERT_TRUE(end);
	std::string md = json_object(*end, "md");
	EXPECT_GT(json_int(md, "would_block").value_or(0), 0) << md;
	EXPECT_EQ(json_int(md, "send_errors"), 0);
	EXPECT_EQ(json_int(md, "unsent_at_stop"), 0);
	EXPECT_EQ(json_int(md, "published"), int64_t(rows.size()));
	ASSERT_EQ(got.size(), rows.size());
	if (json_int(md, "reordered").value_or(-1) == 0) {
		EXPECT_EQ(got, rows);
	} else {
		auto a = got, b = rows;
		std::sort(a.begin(), a.end());
		std::sort(b.begin(), b.end());
		EXPECT_EQ(a, b);
	}
	EXPECT_EQ(ex.stop(), 0);
}
