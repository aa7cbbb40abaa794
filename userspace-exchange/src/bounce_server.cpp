#include "bounce_server.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <stdexcept>
#include <unistd.h>

#include "event_log.h"

namespace oeex {

BounceServer::BounceServer(Uring &ring, const std::string &bind_addr, uint16_t port, Listener &listener)
	: ring_(ring), listener_(listener)
{
	sockaddr_in addr{};
	addr.sin_family = AF_INET;
	addr.sin_port = htons(port);
	if (inet_pton(AF_INET, bind_addr.c_str(), &addr.sin_addr) != 1)
		throw std::invalid_argument("bad bind address '" + bind_addr + "'");
	fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd_ < 0)
		throw std::runtime_error(std::string("socket(bounce): ") + std::strerror(errno));
	int stamping = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
	setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPING, &stamping, sizeof stamping);
	// A bounce per published packet can outrun one receive at a time: a deep queue, and the kernel's
	// own drop counter (SO_RXQ_OVFL) on every datagram so an overflow is reported, not silent.
	int rcvbuf = 8 << 20, one = 1;
	if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
		setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
	if (bind(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
		int e = errno;
		close(fd_);
		throw std::runtime_error("bounce bind " + bind_addr + ":" + std::to_string(port) + ": " + std::strerror(e));
	}
	socklen_t len = sizeof addr;
	getsockname(fd_, reinterpret_cast<sockaddr *>(&addr), &len);
	port_ = ntohs(addr.sin_port);
	arm();
}

BounceServer::~BounceServer()
{
	if (fd_ >= 0)
		close(fd_);
}

void BounceServer::arm()
{
	iov_ = {buffer_, sizeof buffer_};
	msg_ = {};
	msg_.msg_iov = &iov_;
	msg_.msg_iovlen = 1;
	msg_.msg_control = control_;
	msg_.msg_controllen = sizeof control_;
	io_uring_sqe *sqe = ring_.sqe();
	io_uring_prep_recvmsg(sqe, fd_, &msg_, 0);
	io_uring_sqe_set_data64(sqe, encode_tag(OpKind::BounceRecv, 0, 0));
}

void BounceServer::on_cqe(const OpTag &, const io_uring_cqe &cqe)
{
	if (cqe.res >= 0) {
		size_t len = size_t(cqe.res);
		uint64_t stamp = 0;
		for (cmsghdr *cm = CMSG_FIRSTHDR(&msg_); cm; cm = CMSG_NXTHDR(&msg_, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPING) {
				timespec ts[3];
				std::memcpy(ts, CMSG_DATA(cm), sizeof ts);
				stamp = uint64_t(ts[0].tv_sec) * 1000000000ULL + uint64_t(ts[0].tv_nsec);
			} else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
				uint32_t dropped;
				std::memcpy(&dropped, CMSG_DATA(cm), sizeof dropped);
				listener_.on_bounce_drops(dropped);
			}
		}
		if (len < 8) {
			listener_.on_bounce_malformed(len);
		} else {
			uint64_t seq;
			std::memcpy(&seq, buffer_, 8);
			listener_.on_bounce(seq, len, stamp ? stamp : realtime_ns(), stamp != 0);
		}
	} else {
		emit(event("bounce_error").add("error", std::strerror(-cqe.res)));
	}
	arm();
}

} // namespace oeex
