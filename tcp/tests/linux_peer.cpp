// Linux-stack peer for the interop tests (see linux_peer.h).
#include "tests/linux_peer.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <ctime>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "tests/order_codec.h"

namespace oe::tcp::interop {

static uint64_t now_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1000000000ULL + uint64_t(ts.tv_nsec);
}

LinuxPeer::~LinuxPeer()
{
	join();
	if (listen_fd_ >= 0)
		::close(listen_fd_);
}

bool LinuxPeer::start(const PeerPlan &plan, std::string &err)
{
	plan_ = plan;
	listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	const int one = 1;
	setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (plan.rcvbuf) // inherited by the accepted socket; must be set before listen for the window
		setsockopt(listen_fd_, SOL_SOCKET, SO_RCVBUF, &plan.rcvbuf, sizeof(plan.rcvbuf));
	sockaddr_in a{};
	a.sin_family = AF_INET;
	a.sin_port = htons(plan.port);
	inet_pton(AF_INET, plan.bind_ip.c_str(), &a.sin_addr);
	if (bind(listen_fd_, reinterpret_cast<sockaddr *>(&a), sizeof(a)) < 0 || listen(listen_fd_, 1) < 0) {
		err = std::string("listen on ") + plan.bind_ip + ": " + strerror(errno);
		return false;
	}
	thread_ = std::thread([this] { run(); });
	return true;
}

void LinuxPeer::join()
{
	if (thread_.joinable())
		thread_.join();
}

void LinuxPeer::run()
{
	PeerResult &r = result_;
	pollfd p{ listen_fd_, POLLIN, 0 };
	if (::poll(&p, 1, plan_.timeout_s * 1000) != 1) {
		r.error = "no connection accepted";
		done_ = true;
		return;
	}
	sockaddr_in from{};
	socklen_t fl = sizeof(from);
	const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr *>(&from), &fl, SOCK_CLOEXEC);
	if (fd < 0) {
		r.error = std::string("accept: ") + strerror(errno);
		done_ = true;
		return;
	}
	r.accepted = true;
	char ip[INET_ADDRSTRLEN] = {};
	inet_ntop(AF_INET, &from.sin_addr, ip, sizeof(ip));
	r.client_ip = ip;
	r.client_port = ntohs(from.sin_port);

	if (plan_.mode == PeerPlan::Mode::SendData) {
		std::vector<uint8_t> buf(plan_.send_bytes);
		for (uint32_t i = 0; i < plan_.send_bytes; i++)
			buf[i] = pattern_byte(i);
		size_t off = 0;
		while (off < buf.size()) {
			const ssize_t n = ::send(fd, buf.data() + off, buf.size() - off, MSG_NOSIGNAL);
			if (n <= 0) {
				r.error = std::string("send: ") + strerror(errno);
				break;
			}
			off += size_t(n);
		}
		r.bytes = off;
		shutdown(fd, SHUT_WR); // our FIN: the client answers with its own
	} else if (plan_.stall_ms) {
		usleep(unsigned(plan_.stall_ms) * 1000);
	}

	std::vector<uint8_t> stream;
	std::vector<uint8_t> chunk(size_t(plan_.read_chunk));
	const bool stops = plan_.mode == PeerPlan::Mode::CloseAfter || plan_.mode == PeerPlan::Mode::RstAfter;
	size_t parsed = 0;
	while (!(stops && r.orders >= plan_.stop_after)) {
		pollfd q{ fd, POLLIN, 0 };
		if (::poll(&q, 1, plan_.timeout_s * 1000) != 1) {
			r.error = "read timed out";
			break;
		}
		const ssize_t n = ::recv(fd, chunk.data(), chunk.size(), 0);
		if (n < 0) {
			r.error = std::string("recv: ") + strerror(errno);
			break;
		}
		if (n == 0) {
			r.eof = true;
			break;
		}
		if (plan_.mode == PeerPlan::Mode::SendData) {
			r.error = "unexpected data from the client";
			break;
		}
		stream.insert(stream.end(), chunk.begin(), chunk.begin() + n);
		const uint64_t read_at = now_ns();
		while (stream.size() - parsed >= kOrderLen) {
			if (!order_is(&stream[parsed], r.orders)) {
				if (r.error.empty())
					r.error = "order " + std::to_string(r.orders) + " wrong or out of order";
				break;
			}
			parsed += kOrderLen;
			r.orders++;
			r.read_ns.push_back(read_at);
		}
		if (!r.error.empty())
			break;
		if (plan_.read_pause_us)
			usleep(unsigned(plan_.read_pause_us));
	}
	if (r.error.empty() && r.eof && stream.size() != parsed)
		r.error = "stream ends inside an order";
	if (plan_.mode != PeerPlan::Mode::SendData)
		r.bytes = stream.size();
	if (plan_.mode == PeerPlan::Mode::HoldOpen && r.eof) {
		// half-closed by the client; we never close our side, so the client's close times out and it
		// must abort with a RST
		for (int i = 0; i < plan_.timeout_s * 20 && !r.reset_seen; i++) {
			usleep(50000); // after EOF the socket is always readable: poll() would not wait
			// a RST in CLOSE-WAIT moves the socket to CLOSE (Linux reports EPIPE there, not ECONNRESET)
			tcp_info ti{};
			socklen_t tl = sizeof(ti);
			if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 && ti.tcpi_state == TCP_CLOSE)
				r.reset_seen = true;
		}
		if (!r.reset_seen)
			r.error = "no RST after the client's close timed out";
	}
	if (plan_.mode == PeerPlan::Mode::RstAfter) {
		const linger lg{ 1, 0 }; // close() with linger 0 sends RST
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	::close(fd);
	done_ = true;
}

} // namespace oe::tcp::interop
