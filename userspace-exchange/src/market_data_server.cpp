#include "market_data_server.h"

#include "event_log.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <net/if.h>
#include <poll.h>
#include <stdexcept>
#include <sys/utsname.h>
#include <unistd.h>

namespace oeex {

namespace {

// asm-generic/socket.h value; absent from older userspace headers.
#ifndef SCM_TS_OPT_ID
constexpr int kScmTsOptId = 81;
#else
constexpr int kScmTsOptId = SCM_TS_OPT_ID;
#endif

constexpr uint32_t kSlots = 512;
constexpr uint64_t kLinkAfterFullNs = 1000000000; // keep chains linked for 1 s after a full buffer

[[noreturn]] void fail(const std::string &what)
{
	throw std::runtime_error(what + ": " + std::strerror(errno));
}

// SCM_TS_OPT_ID (an explicit key per stamped datagram) arrived in Linux 6.13. Without it the keys
// would be the kernel's implicit counter, whose behaviour on failed sends changed between versions,
// so older kernels use the after-send clock only.
bool kernel_has_explicit_ts_keys()
{
	utsname u{};
	if (uname(&u) != 0)
		return false;
	unsigned major = 0, minor = 0;
	if (std::sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 13);
}

} // namespace

MarketDataServer::MarketDataServer(Uring &ring, const MdSocketSettings &s, Listener &listener)
	: ring_(ring), settings_(s), listener_(listener), slots_(kSlots), stamp_key_(kSlots, -1)
{
	group_.sin_family = AF_INET;
	group_.sin_port = htons(s.port);
	if (inet_pton(AF_INET, s.group.c_str(), &group_.sin_addr) != 1)
		throw std::invalid_argument("bad multicast group address '" + s.group + "'");

	fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd_ < 0)
		fail("socket(UDP)");
	if (!s.source.empty() && s.source != "0.0.0.0") {
		sockaddr_in local{};
		local.sin_family = AF_INET;
		if (inet_pton(AF_INET, s.source.c_str(), &local.sin_addr) != 1)
			throw std::invalid_argument("bad bind address '" + s.source + "'");
		if (bind(fd_, reinterpret_cast<sockaddr *>(&local), sizeof local) != 0)
			fail("bind MD socket to " + s.source);
	}
	if (!s.iface.empty()) {
		ip_mreqn req{};
		in_addr addr{};
		if (inet_pton(AF_INET, s.iface.c_str(), &addr) == 1) {
			req.imr_address = addr;
		} else {
			req.imr_ifindex = int(if_nametoindex(s.iface.c_str()));
			if (!req.imr_ifindex)
				fail("interface '" + s.iface + "'");
		}
		if (setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &req, sizeof req) != 0)
			fail("IP_MULTICAST_IF " + s.iface);
	}
	int ttl = s.ttl;
	int loop = s.loopback ? 1 : 0;
	if (setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0 ||
	    setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop) != 0)
		fail("multicast socket options");
	if (s.sndbuf > 0 && setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &s.sndbuf, sizeof s.sndbuf) != 0)
		fail("SO_SNDBUF");
	// Reporting flags only: generation is requested per packet (trigger packets) through a cmsg.
	tx_stamping_ = kernel_has_explicit_ts_keys();
	int stamping = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
	if (tx_stamping_ && setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPING, &stamping, sizeof stamping) != 0)
		tx_stamping_ = false;
	// connect() fixes the destination so plain IORING_OP_SEND (no address per packet) can be used.
	if (connect(fd_, reinterpret_cast<sockaddr *>(&group_), sizeof group_) != 0)
		fail("connect MD socket to " + s.group);

	fixed_file_ = ring_.register_file(fd_);
	for (uint32_t i = kSlots; i-- > 0;)
		free_.push_back(i);
	err_iov_ = {err_data_, sizeof err_data_};
}

MarketDataServer::~MarketDataServer()
{
	if (fd_ >= 0)
		close(fd_);
}

std::string MarketDataServer::describe() const
{
	return settings_.group + ":" + std::to_string(settings_.port) +
	       (settings_.iface.empty() ? std::string(" (default route)") : " via " + settings_.iface) + " ttl " +
	       std::to_string(settings_.ttl) + (settings_.loopback ? "" : " loop off");
}

MarketDataServer::Slot *MarketDataServer::acquire()
{
	if (free_.empty())
		return nullptr;
	uint32_t i = free_.back();
	free_.pop_back();
	Slot &s = slots_[i];
	s.len = 0;
	s.seq = 0;
	s.trigger_id = -1;
	stamp_key_[i] = -1;
	return &s;
}

void MarketDataServer::queue(Slot *slot, int64_t stamp_key)
{
	uint32_t i = uint32_t(slot - slots_.data());
	stamp_key_[i] = tx_stamping_ ? stamp_key : -1;
	ready_.push_back(i);
}

void MarketDataServer::flush()
{
	if (in_flight_ || ready_.empty() || backoff_)
		return;
	chain_failed_ = false;
	// Linked chains (a failure cancels everything behind it, so retries keep their order) cost ~20%
	// more CPU per datagram, because each link is issued from task work. They are used only while the
	// socket has recently been full; otherwise a later datagram overtaking a bounced one is counted.
	bool link = monotonic_ns() < link_until_ns_;
	size_t n = ready_.size();
	for (size_t k = 0; k < n; k++) {
		uint32_t i = ready_[k];
		Slot &s = slots_[i];
		io_uring_sqe *sqe = ring_.sqe();
		if (stamp_key_[i] >= 0) {
			s.iov = {s.payload, s.len};
			s.msg = {};
			s.msg.msg_iov = &s.iov;
			s.msg.msg_iovlen = 1;
			s.msg.msg_control = s.control;
			s.msg.msg_controllen = CMSG_SPACE(sizeof(uint32_t)) * 2;
			std::memset(s.control, 0, sizeof s.control);
			cmsghdr *cm = CMSG_FIRSTHDR(&s.msg);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SO_TIMESTAMPING;
			cm->cmsg_len = CMSG_LEN(sizeof(uint32_t));
			uint32_t flags = SOF_TIMESTAMPING_TX_SOFTWARE;
			std::memcpy(CMSG_DATA(cm), &flags, sizeof flags);
			cm = CMSG_NXTHDR(&s.msg, cm);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = kScmTsOptId;
			cm->cmsg_len = CMSG_LEN(sizeof(uint32_t));
			uint32_t key = uint32_t(stamp_key_[i]);
			std::memcpy(CMSG_DATA(cm), &key, sizeof key);
			io_uring_prep_sendmsg(sqe, target(), &s.msg, MSG_DONTWAIT);
		} else {
			io_uring_prep_send(sqe, target(), s.payload, s.len, MSG_DONTWAIT);
		}
		if (fixed_file_)
			sqe->flags |= IOSQE_FIXED_FILE;
		if (link && k + 1 < n)
			sqe->flags |= IOSQE_IO_LINK;
		io_uring_sqe_set_data64(sqe, encode_tag(OpKind::MdSend, epoch_, i));
	}
	in_flight_ = uint32_t(n);
	flight_epoch_ = epoch_;
	ready_.clear();
}

void MarketDataServer::discard_unsent()
{
	counters_.unsent_at_stop += ready_.size();
	for (uint32_t i : ready_)
		free_.push_back(i);
	ready_.clear();
	counters_.in_flight_at_end = unsettled();
	epoch_ = (epoch_ + 1) & 0xffffff; // completions of sends still in flight now belong to the past
}

void MarketDataServer::on_cqe(const OpTag &tag, const io_uring_cqe &cqe)
{
	switch (tag.kind) {
	case OpKind::MdSend: {
		uint32_t i = tag.index;
		Slot &s = slots_[i];
		in_flight_--;
		if (tag.generation != epoch_) {
			// A send of a session that has ended: no one's to retry or stamp any more. What went out
			// is still that session's (its report waits for these completions), unless a new session
			// has reset the counters since: then its report counted it in in_flight_at_report.
			if (tag.generation == counted_epoch_) {
				if (cqe.res == int(s.len)) {
					counters_.published++;
					counters_.bytes += s.len;
				} else {
					counters_.unsent_at_stop++;
				}
			}
			free_.push_back(i);
			break;
		}
		if (cqe.res == int(s.len)) {
			if (chain_failed_)
				counters_.reordered++; // sent while an earlier datagram waits for its retry
			counters_.published++;
			counters_.bytes += s.len;
			if (stamp_key_[i] >= 0) {
				counters_.tx_stamp_requests++;
				stamps_outstanding_++;
				arm_error_queue();
			}
			listener_.on_sent(s, s.trigger_id >= 0 ? realtime_ns() : 0);
			free_.push_back(i);
		} else if (cqe.res == -EAGAIN || cqe.res == -ENOBUFS || cqe.res == -ECANCELED) {
			// Socket buffer full (or cancelled behind the one that was): retry in order, after a pause,
			// and link the next chains so it cannot happen out of order again.
			if (cqe.res != -ECANCELED)
				counters_.would_block++;
			chain_failed_ = true;
			link_until_ns_ = monotonic_ns() + kLinkAfterFullNs;
			ready_.push_back(i);
			arm_writable();
		} else {
			counters_.send_errors++;
			listener_.on_send_error(s, cqe.res < 0 ? -cqe.res : EMSGSIZE);
			free_.push_back(i);
		}
		break;
	}
	case OpKind::MdWritable:
		backoff_ = false; // room in the socket buffer again: the exchange flushes the retries
		break;
	case OpKind::MdErrPoll:
		errqueue_armed_ = false;
		if (cqe.res >= 0)
			read_error_queue();
		break;
	case OpKind::MdErrRecv:
		if (cqe.res >= 0) {
			parse_error_queue(cqe.res);
			read_error_queue();
		} else {
			errqueue_armed_ = false;
			arm_error_queue();
		}
		break;
	default:
		break;
	}
}

void MarketDataServer::arm_writable()
{
	if (backoff_)
		return;
	backoff_ = true;
	io_uring_sqe *sqe = ring_.sqe();
	io_uring_prep_poll_add(sqe, fd_, POLLOUT);
	io_uring_sqe_set_data64(sqe, encode_tag(OpKind::MdWritable, 0, 0));
}

void MarketDataServer::arm_error_queue()
{
	if (errqueue_armed_ || !stamps_outstanding_)
		return;
	errqueue_armed_ = true;
	io_uring_sqe *sqe = ring_.sqe();
	io_uring_prep_poll_add(sqe, fd_, POLLERR);
	io_uring_sqe_set_data64(sqe, encode_tag(OpKind::MdErrPoll, 0, 0));
}

void MarketDataServer::read_error_queue()
{
	errqueue_armed_ = true; // the receive below stands in for the poll until it reports EAGAIN
	err_msg_ = {};
	err_msg_.msg_iov = &err_iov_;
	err_msg_.msg_iovlen = 1;
	err_msg_.msg_control = err_control_;
	err_msg_.msg_controllen = sizeof err_control_;
	io_uring_sqe *sqe = ring_.sqe();
	io_uring_prep_recvmsg(sqe, fd_, &err_msg_, MSG_ERRQUEUE | MSG_DONTWAIT);
	io_uring_sqe_set_data64(sqe, encode_tag(OpKind::MdErrRecv, 0, 0));
}

void MarketDataServer::parse_error_queue(int)
{
	uint64_t stamp = 0;
	bool have_stamp = false, have_key = false;
	uint32_t key = 0;
	for (cmsghdr *cm = CMSG_FIRSTHDR(&err_msg_); cm; cm = CMSG_NXTHDR(&err_msg_, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPING) {
			timespec ts[3];
			std::memcpy(ts, CMSG_DATA(cm), sizeof ts);
			stamp = uint64_t(ts[0].tv_sec) * 1000000000ULL + uint64_t(ts[0].tv_nsec);
			have_stamp = stamp != 0;
		} else if ((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
			   (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR)) {
			sock_extended_err ee;
			std::memcpy(&ee, CMSG_DATA(cm), sizeof ee);
			if (ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING && ee.ee_info == SCM_TSTAMP_SND) {
				key = ee.ee_data;
				have_key = true;
			}
		}
	}
	if (have_stamp && have_key) {
		counters_.tx_stamps++;
		if (stamps_outstanding_)
			stamps_outstanding_--;
		listener_.on_tx_stamp(key, stamp);
	}
}

} // namespace oeex
