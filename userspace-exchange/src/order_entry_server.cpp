#include "order_entry_server.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/net_tstamp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

#include "event_log.h"

namespace oeex {

const char *to_string(DisconnectReason r)
{
	switch (r) {
	case DisconnectReason::PeerClosed: return "peer_closed";
	case DisconnectReason::Reset: return "reset";
	case DisconnectReason::Error: return "error";
	case DisconnectReason::HangUp: return "hangup";
	case DisconnectReason::KeepaliveTimeout: return "keepalive_timeout";
	}
	return "?";
}

std::string peer_name(int fd)
{
	sockaddr_in a{};
	socklen_t len = sizeof a;
	if (getpeername(fd, reinterpret_cast<sockaddr *>(&a), &len) != 0)
		return "?";
	char ip[INET_ADDRSTRLEN] = "?";
	inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
	return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}

OrderEntryServer::OrderEntryServer(Uring &ring, const OeSocketSettings &s, Listener &listener)
	: ring_(ring), settings_(s), listener_(listener)
{
	sockaddr_in addr{};
	addr.sin_family = AF_INET;
	addr.sin_port = htons(s.port);
	if (inet_pton(AF_INET, s.bind.c_str(), &addr.sin_addr) != 1)
		throw std::invalid_argument("bad bind address '" + s.bind + "'");
	listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd_ < 0)
		throw std::runtime_error(std::string("socket(TCP): ") + std::strerror(errno));
	int one = 1;
	setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(listen_fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 || listen(listen_fd_, 16) != 0) {
		int e = errno;
		close(listen_fd_);
		throw std::runtime_error("order entry listen on " + s.bind + ":" + std::to_string(s.port) + ": " +
					 std::strerror(e));
	}
	socklen_t len = sizeof addr;
	getsockname(listen_fd_, reinterpret_cast<sockaddr *>(&addr), &len);
	port_ = ntohs(addr.sin_port);
	arm_accept();
}

OrderEntryServer::~OrderEntryServer()
{
	// shutdown() before close(): sockets referenced by in-flight io_uring requests (the armed
	// accept, a pending recv) are only released by the ring's asynchronous teardown, after this
	// process may already have exited. shutdown() acts now: the listener leaves LISTEN (a client
	// reconnecting to a restarted exchange is refused instead of being queued on a dying listener,
	// and the new exchange can bind the port) and connections send their FIN.
	for (auto &[gen, c] : connections_)
		if (c->open) {
			shutdown(c->fd, SHUT_RDWR);
			close(c->fd);
		}
	if (listen_fd_ >= 0) {
		shutdown(listen_fd_, SHUT_RDWR);
		close(listen_fd_);
	}
}

std::string OrderEntryServer::describe() const
{
	return settings_.bind + ":" + std::to_string(port_);
}

void OrderEntryServer::enable_keepalive(int fd)
{
	// A client that vanishes (rmmod, a lost FIN and RST) would otherwise hold the one session for
	// good: the exchange never writes on this connection, so only probes can find out.
	int one = 1, idle = int(settings_.keepalive_s), interval = kKeepaliveIntervalS, probes = kKeepaliveProbes;
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes) != 0)
		emit(event("keepalive_error").add("peer", peer_name(fd)).add("error", std::strerror(errno)));
}

void OrderEntryServer::arm_accept()
{
	io_uring_sqe *sqe = ring_.sqe();
	// No address buffer: one shared buffer would race between multishot completions; getpeername instead.
	io_uring_prep_multishot_accept(sqe, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, encode_tag(OpKind::Accept, 0, 0));
}

void OrderEntryServer::arm_recv(Connection &c)
{
	c.iov = {c.buffer, sizeof c.buffer};
	c.msg = {};
	c.msg.msg_iov = &c.iov;
	c.msg.msg_iovlen = 1;
	c.msg.msg_control = c.control;
	c.msg.msg_controllen = sizeof c.control;
	io_uring_sqe *sqe = ring_.sqe();
	io_uring_prep_recvmsg(sqe, c.fd, &c.msg, 0);
	io_uring_sqe_set_data64(sqe, encode_tag(OpKind::OeRecv, c.generation, 0));
	c.in_flight++;
}

void OrderEntryServer::arm_poll(Connection &c)
{
	io_uring_sqe *sqe = ring_.sqe();
	io_uring_prep_poll_add(sqe, c.fd, POLLHUP | POLLERR);
	io_uring_sqe_set_data64(sqe, encode_tag(OpKind::OePoll, c.generation, 0));
	c.in_flight++;
}

void OrderEntryServer::close_fd(int fd)
{
	io_uring_sqe *sqe = ring_.sqe();
	io_uring_prep_close(sqe, fd);
	io_uring_sqe_set_data64(sqe, encode_tag(OpKind::Close, 0, 0));
}

void OrderEntryServer::retire(Connection &c)
{
	if (!c.open)
		return;
	c.open = false;
	if (active_ == &c)
		active_ = nullptr;
	// Cancel what is pending on the fd, then close it; hard link so "nothing to cancel" still closes.
	io_uring_sqe *sqe = ring_.sqe();
	io_uring_prep_cancel_fd(sqe, c.fd, IORING_ASYNC_CANCEL_ALL);
	sqe->flags |= IOSQE_IO_HARDLINK;
	io_uring_sqe_set_data64(sqe, encode_tag(OpKind::Cancel, c.generation, 0));
	close_fd(c.fd);
	collect(c.generation);
}

void OrderEntryServer::collect(uint32_t generation)
{
	auto it = connections_.find(generation);
	if (it != connections_.end() && !it->second->open && it->second->in_flight == 0)
		connections_.erase(it);
}

void OrderEntryServer::close_connection()
{
	if (active_)
		retire(*active_);
}

void OrderEntryServer::on_cqe(const OpTag &tag, const io_uring_cqe &cqe)
{
	if (tag.kind == OpKind::Accept) {
		if (!(cqe.flags & IORING_CQE_F_MORE))
			arm_accept();
		if (cqe.res < 0) {
			emit(event("accept_error").add("error", std::strerror(-cqe.res)));
			return;
		}
		int fd = cqe.res;
		std::string peer = peer_name(fd);
		if (active_ || !listener_.on_connect(peer)) {
			listener_.on_refused(peer);
			close_fd(fd);
			return;
		}
		int stamping = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
		setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &stamping, sizeof stamping);
		if (settings_.keepalive_s)
			enable_keepalive(fd);
		auto c = std::make_unique<Connection>();
		c->fd = fd;
		c->generation = next_generation_++ & 0xffffff;
		active_ = c.get();
		arm_recv(*c);
		arm_poll(*c);
		connections_[c->generation] = std::move(c);
		return;
	}
	if (tag.kind == OpKind::Close || tag.kind == OpKind::Cancel)
		return;

	auto it = connections_.find(tag.generation);
	if (it == connections_.end())
		return;
	Connection &c = *it->second;
	c.in_flight--;
	if (!c.open) {
		collect(c.generation);
		return;
	}
	if (tag.kind == OpKind::OePoll) {
		// POLLHUP/POLLERR: the outstanding recv completes with the remaining data and then EOF or the
		// error, so every order already received is still read; only if no recv is left do we close.
		if (cqe.res > 0 && c.in_flight == 0) {
			int err = 0;
			socklen_t len = sizeof err;
			getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
			retire(c);
			listener_.on_disconnect(err == ETIMEDOUT && settings_.keepalive_s ? DisconnectReason::KeepaliveTimeout
											  : DisconnectReason::HangUp,
						0);
		}
		return;
	}
	// OeRecv
	if (cqe.res > 0) {
		uint64_t stamp = 0;
		for (cmsghdr *cm = CMSG_FIRSTHDR(&c.msg); cm; cm = CMSG_NXTHDR(&c.msg, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPING) {
				timespec ts[3];
				std::memcpy(ts, CMSG_DATA(cm), sizeof ts);
				stamp = uint64_t(ts[0].tv_sec) * 1000000000ULL + uint64_t(ts[0].tv_nsec);
			}
		}
		bool kernel_stamp = stamp != 0;
		listener_.on_data(c.buffer, size_t(cqe.res), kernel_stamp ? stamp : realtime_ns(), kernel_stamp);
		if (c.open)
			arm_recv(c);
		return;
	}
	if (cqe.res == -ECANCELED)
		return;
	DisconnectReason why = DisconnectReason::Error;
	if (cqe.res == 0)
		why = DisconnectReason::PeerClosed;
	else if (cqe.res == -ECONNRESET)
		why = DisconnectReason::Reset;
	else if (cqe.res == -ETIMEDOUT && settings_.keepalive_s)
		why = DisconnectReason::KeepaliveTimeout;
	retire(c);
	listener_.on_disconnect(why, cqe.res < 0 && why != DisconnectReason::KeepaliveTimeout ? -cqe.res : 0);
}

} // namespace oeex
