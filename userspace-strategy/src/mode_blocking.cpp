// The reference most people start from: blocking BSD sockets. connect(), then recvmsg() on the MD
// socket in a loop and send() on a trigger. Between RX and TX it executes: the softirq's UDP
// delivery + wakeup of the sleeping thread (scheduler), return from recvmsg (copy to user), the
// engine, then send() through the full TCP output path (tcp_sendmsg -> ip_queue_xmit -> qdisc ->
// driver). With --busy-poll the socket spins in the driver (SO_BUSY_POLL) instead of sleeping.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core.h"

namespace us {
namespace {

class Blocking : public Variant {
public:
	Blocking(const Options &o, Core &core) : o_(o)
	{
		if (resolve_ipv4(o.oe_host, oe_addr_))
			std::exit(2);
		core.features = o.busy_poll ? "SO_BUSY_POLL=50us" : "sleeping recvmsg";
	}

	Outcome session(Core &core) override
	{
		int tcp = connect_oe(core);
		if (tcp < 0)
			return stopped_or(Outcome::ConnectFailed);
		int md = open_md_socket(o_, o_.busy_poll);
		timeval tv{ 0, 100000 }; // bounded wait: notice signals, the deadline and a silent peer
		setsockopt(md, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		Outcome r = run(core, tcp, md);
		close(md);
		close(tcp);
		return r;
	}

private:
	Outcome stopped_or(Outcome r) const { return run_over(o_) ? Outcome::Stopped : r; }

	int connect_oe(Core &core)
	{
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket(TCP)");
		int one = 1, tos = o_.tos;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); // an order is one segment, now
		setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
		timeval tv{ 1, 0 }; // connect timeout
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		sockaddr_in sa{};
		sa.sin_family = AF_INET;
		sa.sin_port = htons(o_.oe_port);
		sa.sin_addr.s_addr = oe_addr_;
		if (connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa))) {
			logv(o_, "connect: %s", std::strerror(errno));
			close(fd);
			return -1;
		}
		core.counters.connects++;
		logv(o_, "established");
		return fd;
	}

	// The exchange never sends on the order connection; readable means closed (0) or reset (<0).
	static bool peer_gone(int tcp)
	{
		char b[256];
		for (int i = 0; i < 64; i++) {
			ssize_t n = recv(tcp, b, sizeof(b), MSG_DONTWAIT);
			if (n > 0)
				continue;
			return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
		}
		return false;
	}

	Outcome run(Core &core, int tcp, int md)
	{
		alignas(8) uint8_t buf[2048];
		alignas(8) char ctrl[CMSG_SPACE(sizeof(timespec))];
		uint8_t order[kOrderLen];
		iovec iov{ buf, sizeof(buf) };
		msghdr mh{};
		unsigned since_check = 0;
		for (;;) {
			mh.msg_iov = &iov;
			mh.msg_iovlen = 1;
			mh.msg_control = ctrl;
			mh.msg_controllen = sizeof(ctrl);
			ssize_t n = recvmsg(md, &mh, 0);
			if (n < 0) {
				if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
					die("recvmsg(MD)");
				if (run_over(o_))
					return Outcome::Stopped;
				if (peer_gone(tcp))
					return Outcome::Disconnected;
				continue;
			}
			if (core.on_md(buf, uint16_t(n), order)) {
				if (send(tcp, order, kOrderLen, MSG_NOSIGNAL) != ssize_t(kOrderLen)) {
					core.counters.send_failures++;
					return Outcome::Disconnected;
				}
				core.order_sent(rx_stamp(mh), kOrderLen);
			}
			if (++since_check >= 256) { // a steady MD stream never times out: check now and then
				since_check = 0;
				if (run_over(o_))
					return Outcome::Stopped;
				if (peer_gone(tcp))
					return Outcome::Disconnected;
			}
		}
	}

	static uint64_t rx_stamp(msghdr &mh)
	{
		for (cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				timespec ts;
				std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
			}
		}
		return 0;
	}

	const Options &o_;
	uint32_t oe_addr_ = 0;
};

} // namespace

std::unique_ptr<Variant> make_blocking(const Options &o, Core &core) { return std::make_unique<Blocking>(o, core); }

} // namespace us
