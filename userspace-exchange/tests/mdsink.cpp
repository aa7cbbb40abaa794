// mdsink: a multicast subscriber that only counts — the "receiver keeping up" for the publish
// benchmark. recvmmsg in batches; prints a JSON summary after --idle-ms without data.
#include <arpa/inet.h>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <getopt.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "cli_args.h"
#include "json_out.h"
#include "test_net.h"

using namespace oeex;
using namespace oeex::testing;

static double cpu_seconds()
{
	rusage u{};
	getrusage(RUSAGE_SELF, &u);
	return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
	std::string group = "239.255.0.1", iface = "127.0.0.1";
	uint16_t port = 12345;
	uint64_t idle_ms = 1000;
	uint16_t connect_port = 0; // hold an order-entry session open on 127.0.0.1:PORT (starts publishing)
	static const option longopts[] = {
		{"group", required_argument, nullptr, 'g'}, {"md-port", required_argument, nullptr, 'p'},
		{"iface-addr", required_argument, nullptr, 'i'}, {"idle-ms", required_argument, nullptr, 't'},
		{"connect", required_argument, nullptr, 'c'},
		{nullptr, 0, nullptr, 0},
	};
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, nullptr)) != -1) {
		switch (c) {
		case 'g': group = optarg; break;
		case 'p': port = uint16_t(flag_u64("mdsink", "--md-port", optarg, 1, 65535)); break;
		case 'i': iface = optarg; break;
		case 't': idle_ms = flag_u64("mdsink", "--idle-ms", optarg, 1, 3600000); break;
		case 'c': connect_port = uint16_t(flag_u64("mdsink", "--connect", optarg, 1, 65535)); break;
		default: usage_error("mdsink", std::string("unknown option or missing value: '") + argv[optind - 1] + "'");
		}
	}
	MulticastReceiver rx;
	if (!rx.join(group, port, iface, 64 << 20)) {
		std::fprintf(stderr, "mdsink: cannot join %s:%u\n", group.c_str(), port);
		return 1;
	}
	TcpClient session;
	if (connect_port && !session.connect("127.0.0.1", connect_port, 5000)) {
		std::fprintf(stderr, "mdsink: cannot connect to 127.0.0.1:%u\n", connect_port);
		return 1;
	}
	constexpr int kBatch = 64;
	static char bufs[kBatch][2048];
	mmsghdr msgs[kBatch];
	iovec iovs[kBatch];
	uint64_t packets = 0, bytes = 0, first_ms = 0, last_ms = 0;
	double cpu0 = 0;
	for (;;) {
		pollfd p{rx.fd(), POLLIN, 0};
		if (poll(&p, 1, int(idle_ms)) <= 0)
			break;
		for (int i = 0; i < kBatch; i++) {
			iovs[i] = {bufs[i], sizeof bufs[i]};
			msgs[i] = {};
			msgs[i].msg_hdr.msg_iov = &iovs[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(rx.fd(), msgs, kBatch, MSG_DONTWAIT, nullptr);
		if (n <= 0)
			continue;
		if (!packets) {
			first_ms = now_ms();
			cpu0 = cpu_seconds();
		}
		for (int i = 0; i < n; i++)
			bytes += msgs[i].msg_len;
		packets += uint64_t(n);
		last_ms = now_ms();
	}
	session.close();
	double secs = last_ms > first_ms ? double(last_ms - first_ms) / 1000.0 : 0;
	JsonObject out;
	out.add("packets", packets)
		.add("bytes", bytes)
		.add("seconds", secs)
		.add("msgs_per_s", secs > 0 ? double(packets) / secs : 0.0)
		.add("cpu_s", cpu_seconds() - cpu0);
	std::printf("%s\n", out.str().c_str());
	return 0;
}
