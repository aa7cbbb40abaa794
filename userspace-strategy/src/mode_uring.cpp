// The user's original design: every networking operation through io_uring (liburing).
//
// Per session: a ring (features from io_uring_queue_init_params, ops from the probe), the order
// socket created and connected through the ring, both sockets in the registered file table, one
// multishot RECVMSG on the MD socket drawing from a provided-buffer ring (kernel RX stamp in the
// cmsg), one multishot POLL for POLLRDHUP/POLLHUP/POLLERR on the order socket (disconnect), and
// orders sent from a registered buffer with SEND_ZC (--zc) or plain SEND, one send at a time, each
// slot reused only once the kernel has released it (order_slots.h).
//
// Between RX and TX: softirq UDP delivery -> poll wakeup queues task_work -> (our thread in
// io_uring_enter, or the SQPOLL thread) runs it: copies the datagram into a provided buffer, posts a
// CQE -> userspace reaps it, runs the engine, writes an SQE -> io_uring_submit (enter syscall, or a
// tail store the SQPOLL thread picks up) -> tcp_sendmsg ... driver, as for blocking sockets.
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "core.h"
#include "order_slots.h"

// Newer UAPI than the distribution's liburing 2.3 headers know (values from the kernel ABI).
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif
constexpr unsigned kRegisterNapi = 27; // IORING_REGISTER_NAPI, Linux 6.9
struct UringNapi {                      // struct io_uring_napi
	uint32_t busy_poll_to;
	uint8_t prefer_busy_poll;
	uint8_t pad[3];
	uint64_t resv;
};

namespace us {
namespace {

enum Tag : uint64_t { kTagMd = 1, kTagPoll, kTagConnect, kTagSend, kTagSocket };
constexpr unsigned kTagBits = 8; // user_data = tag | slot << kTagBits (sends)
constexpr unsigned kTcpIdx = 0, kMdIdx = 1;             // registered file slots
constexpr unsigned kBufs = 256, kBufSize = 2048;        // provided MD buffers (power of two count)
constexpr unsigned kOrderSlots = OrderSlots::kSlots, kOrderSlotSize = 64; // registered order buffer
constexpr unsigned kEntries = 256;

struct FeatureBit { unsigned bit; const char *name; };
const FeatureBit kFeatures[] = {
	{ IORING_FEAT_NODROP, "NODROP" }, { IORING_FEAT_FAST_POLL, "FAST_POLL" },
	{ IORING_FEAT_EXT_ARG, "EXT_ARG" }, { IORING_FEAT_NATIVE_WORKERS, "NATIVE_WORKERS" },
	{ IORING_FEAT_CQE_SKIP, "CQE_SKIP" }, { IORING_FEAT_LINKED_FILE, "LINKED_FILE" },
	{ 1U << 13, "REG_REG_RING" }, { 1U << 14, "RECVSEND_BUNDLE" }, { 1U << 15, "MIN_TIMEOUT" },
};

class Uring : public Variant {
public:
	Uring(const Options &o, Core &core) : o_(o)
	{
		if (resolve_ipv4(o.oe_host, oe_addr_))
			std::exit(2);
		bufs_ = static_cast<uint8_t *>(map(kBufs * kBufSize));
		br_ = static_cast<io_uring_buf_ring *>(map(kBufs * sizeof(io_uring_buf)));
		orders_ = static_cast<uint8_t *>(map(kOrderSlots * kOrderSlotSize));
		// Probe once with the session's own flags, so the report says what a session really gets.
		if (init_ring())
			die("io_uring_queue_init_params");
		core.features = describe();
		io_uring_queue_exit(&ring_);
	}

	Outcome session(Core &core) override
	{
		if (init_ring())
			die("io_uring_queue_init_params");
		Outcome r = connect_and_run(core);
		core.counters.orders_unsent += slots_.queued();
		slots_.reset(); // the ring's exit below ends every send of this session
		io_uring_queue_exit(&ring_); // cancels the multishot requests, closes nothing of ours
		if (tcp_ >= 0)
			close(tcp_);
		if (md_ >= 0)
			close(md_);
		tcp_ = md_ = -1;
		return r;
	}

private:
	static void *map(size_t n)
	{
		void *p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
		return p;
	}

	// SQPOLL when asked; otherwise SINGLE_ISSUER|DEFER_TASKRUN (completions run only when we ask:
	// no IPIs, no task_work interrupting the hot loop), falling back for older kernels.
	int init_ring()
	{
		io_uring_params p{};
		if (o_.sqpoll) {
			p.flags = IORING_SETUP_SQPOLL;
			p.sq_thread_idle = 2000; // ms before the SQ thread sleeps: a bench never lets it
			long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
			if (o_.cpu >= 0 && ncpu > 1) { // keep the poller off the hot thread's CPU
				p.flags |= IORING_SETUP_SQ_AFF;
				p.sq_thread_cpu = unsigned((o_.cpu + 1) % ncpu);
			}
			int rc = io_uring_queue_init_params(kEntries, &ring_, &p);
			params_ = p;
			return rc < 0 ? (errno = -rc, -1) : 0;
		}
		const unsigned tries[] = { IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
					   IORING_SETUP_COOP_TASKRUN, 0 };
		for (unsigned flags : tries) {
			p = {};
			p.flags = flags;
			int rc = io_uring_queue_init_params(kEntries, &ring_, &p);
			if (rc == 0) {
				params_ = p;
				return 0;
			}
			if (rc != -EINVAL)
				return errno = -rc, -1;
		}
		return errno = EINVAL, -1;
	}

	std::string describe()
	{
		std::string s = "setup=";
		s += o_.sqpoll ? "SQPOLL" : (params_.flags & IORING_SETUP_DEFER_TASKRUN) ? "SINGLE_ISSUER|DEFER_TASKRUN"
					 : (params_.flags & IORING_SETUP_COOP_TASKRUN)    ? "COOP_TASKRUN" : "plain";
		s += " feat=";
		for (const FeatureBit &f : kFeatures)
			if (params_.features & f.bit)
				s += std::string(f.name) + "|";
		s.pop_back();
		io_uring_probe *pr = io_uring_get_probe_ring(&ring_);
		has_socket_op_ = pr && io_uring_opcode_supported(pr, IORING_OP_SOCKET);
		has_send_zc_ = pr && io_uring_opcode_supported(pr, IORING_OP_SEND_ZC);
		if (pr)
			io_uring_free_probe(pr);
		s += has_socket_op_ ? " OP_SOCKET" : " socket(2)";
		s += has_send_zc_ ? " SEND_ZC:available" : " SEND_ZC:missing";
		s += o_.zc && has_send_zc_ ? " send=SEND_ZC(fixed buf)" : " send=SEND";
		// NAPI busy poll: registered per ring; probe it on this throwaway ring.
		UringNapi n{ 50, 1, {}, 0 };
		napi_ok_ = syscall(__NR_io_uring_register, ring_.ring_fd, kRegisterNapi, &n, 1) == 0;
		s += napi_ok_ ? " NAPI_busy_poll:available" : " NAPI_busy_poll:missing";
		if (o_.busy_poll)
			s += o_.sqpoll ? " wait=userspace-spin" : napi_ok_ ? " wait=NAPI-busy-poll" : " wait=get_events-spin";
		s += " recv=RECVMSG_multishot+buf_ring SO_TIMESTAMPNS POLL_multishot(RDHUP|HUP)";
		return s;
	}

	io_uring_sqe *sqe()
	{
		io_uring_sqe *s = io_uring_get_sqe(&ring_);
		if (!s) { // full SQ: flush and retry once (cannot happen with our few in-flight requests)
			io_uring_submit(&ring_);
			s = io_uring_get_sqe(&ring_);
			if (!s)
				die("io_uring_get_sqe");
		}
		return s;
	}

	// Wait for one CQE with a bounded timeout; nullptr on timeout.
	io_uring_cqe *wait_one(unsigned ms)
	{
		io_uring_cqe *c = nullptr;
		__kernel_timespec ts{ 0, long(ms) * 1000000L };
		int rc = io_uring_wait_cqe_timeout(&ring_, &c, &ts);
		return rc == 0 ? c : nullptr;
	}

	int ring_socket()
	{
		if (!has_socket_op_)
			return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		io_uring_prep_socket(sqe(), AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, 0);
		io_uring_submit(&ring_);
		io_uring_cqe *c = wait_one(1000);
		if (!c)
			die("io_uring socket: no completion");
		int fd = c->res;
		io_uring_cqe_seen(&ring_, c);
		if (fd < 0)
			errno = -fd;
		return fd;
	}

	Outcome connect_and_run(Core &core)
	{
		tcp_ = ring_socket();
		if (tcp_ < 0)
			die("socket(TCP)");
		int one = 1, tos = o_.tos;
		setsockopt(tcp_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(tcp_, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
		int fds[2] = { tcp_, -1 };
		if (io_uring_register_files(&ring_, fds, 2))
			die("io_uring_register_files");
		iovec iov{ orders_, kOrderSlots * kOrderSlotSize };
		if (io_uring_register_buffers(&ring_, &iov, 1))
			die("io_uring_register_buffers");

		// OEConnect
		sockaddr_in sa{};
		sa.sin_family = AF_INET;
		sa.sin_port = htons(o_.oe_port);
		sa.sin_addr.s_addr = oe_addr_;
		io_uring_sqe *s = sqe();
		io_uring_prep_connect(s, kTcpIdx, reinterpret_cast<sockaddr *>(&sa), sizeof(sa));
		s->flags |= IOSQE_FIXED_FILE;
		s->user_data = kTagConnect;
		io_uring_submit(&ring_);
		io_uring_cqe *c = wait_one(1000);
		int res = c ? c->res : -ETIMEDOUT;
		if (c)
			io_uring_cqe_seen(&ring_, c);
		if (res < 0) {
			logv(o_, "connect: %s", std::strerror(-res));
			return run_over(o_) ? Outcome::Stopped : Outcome::ConnectFailed;
		}
		core.counters.connects++;
		logv(o_, "established");

		// Running: join the group, then arm the two multishot requests.
		md_ = open_md_socket(o_, o_.busy_poll);
		if (io_uring_register_files_update(&ring_, kMdIdx, &md_, 1) != 1)
			die("io_uring_register_files_update");
		io_uring_buf_reg reg{};
		reg.ring_addr = reinterpret_cast<uint64_t>(br_);
		reg.ring_entries = kBufs;
		reg.bgid = 0;
		if (io_uring_register_buf_ring(&ring_, &reg, 0))
			die("io_uring_register_buf_ring");
		io_uring_buf_ring_init(br_);
		for (unsigned i = 0; i < kBufs; i++)
			io_uring_buf_ring_add(br_, bufs_ + i * kBufSize, kBufSize, uint16_t(i), io_uring_buf_ring_mask(kBufs), int(i));
		io_uring_buf_ring_advance(br_, kBufs);
		if (o_.busy_poll && napi_ok_) {
			UringNapi n{ 50, 1, {}, 0 };
			syscall(__NR_io_uring_register, ring_.ring_fd, kRegisterNapi, &n, 1);
		}
		arm_md();
		s = sqe();
		io_uring_prep_poll_multishot(s, kTcpIdx, POLLRDHUP | POLLHUP | POLLERR);
		s->flags |= IOSQE_FIXED_FILE;
		s->user_data = kTagPoll;
		io_uring_submit(&ring_);
		return run(core);
	}

	void arm_md()
	{
		std::memset(&mh_, 0, sizeof(mh_));
		mh_.msg_controllen = CMSG_SPACE(sizeof(timespec));
		io_uring_sqe *s = sqe();
		io_uring_prep_recvmsg_multishot(s, kMdIdx, &mh_, 0);
		s->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
		s->buf_group = 0;
		s->user_data = kTagMd;
	}

	Outcome run(Core &core)
	{
		const bool spin = o_.busy_poll && (o_.sqpoll || !napi_ok_);
		unsigned idle_checks = 0;
		for (;;) {
			io_uring_cqe *c = nullptr;
			if (spin) {
				if (!o_.sqpoll)
					io_uring_get_events(&ring_); // run deferred task_work: posts the CQEs
				if (io_uring_peek_cqe(&ring_, &c) != 0 || !c) {
					if ((++idle_checks & 0xffff) == 0 && run_over(o_))
						return Outcome::Stopped;
					continue;
				}
			} else if (!(c = wait_one(100))) {
				if (run_over(o_))
					return Outcome::Stopped;
				continue;
			}
			unsigned head, seen = 0;
			Outcome out = Outcome::Stopped;
			bool done = false;
			io_uring_for_each_cqe(&ring_, head, c)
			{
				seen++;
				if (handle(core, c, out)) {
					done = true;
					break;
				}
			}
			io_uring_cq_advance(&ring_, seen);
			if (done)
				return out;
			if ((++idle_checks & 0x3ff) == 0 && run_over(o_))
				return Outcome::Stopped;
		}
	}

	// One completion; true when the session is over (out set).
	bool handle(Core &core, io_uring_cqe *c, Outcome &out)
	{
		switch (c->user_data & ((1u << kTagBits) - 1)) {
		case kTagMd: {
			if (c->res < 0 && c->res != -ENOBUFS) {
				errno = -c->res;
				die("multishot recvmsg(MD)");
			}
			if (c->res >= 0 && (c->flags & IORING_CQE_F_BUFFER)) {
				const unsigned bid = c->flags >> IORING_CQE_BUFFER_SHIFT;
				uint8_t *b = bufs_ + bid * kBufSize;
				on_datagram(core, b, c->res);
				io_uring_buf_ring_add(br_, b, kBufSize, uint16_t(bid), io_uring_buf_ring_mask(kBufs), 0);
				io_uring_buf_ring_advance(br_, 1);
			}
			if (!(c->flags & IORING_CQE_F_MORE)) { // multishot ended (ENOBUFS, ...): re-arm
				arm_md();
				io_uring_submit(&ring_);
			}
			break;
		}
		case kTagPoll:
			if (c->res < 0 || (c->res & (POLLRDHUP | POLLHUP | POLLERR))) {
				out = Outcome::Disconnected;
				return true;
			}
			break;
		case kTagSend: {
			const unsigned slot = unsigned(c->user_data >> kTagBits);
			if (c->flags & IORING_CQE_F_NOTIF) { // SEND_ZC: the kernel released the slot
				core.counters.zc_completions++;
				if (uint32_t(c->res) & IORING_NOTIF_USAGE_ZC_COPIED)
					core.counters.zc_copied++;
				slots_.on_notif(slot);
				break;
			}
			OrderSlots::Send next{};
			bool short_send = false;
			const OrderSlots::Next n = slots_.on_result(slot, c->res, c->flags & IORING_CQE_F_MORE, next, short_send);
			core.counters.short_sends += short_send;
			if (n == OrderSlots::Next::Failed) {
				core.counters.send_failures++;
				out = Outcome::Disconnected;
				return true;
			}
			if (n == OrderSlots::Next::Submit)
				submit_send(core, next);
			break;
		}
		default:
			break;
		}
		return false;
	}

	void on_datagram(Core &core, uint8_t *b, int len)
	{
		io_uring_recvmsg_out *m = io_uring_recvmsg_validate(b, len, &mh_);
		if (!m || (m->flags & MSG_TRUNC))
			return;
		const uint8_t *payload = static_cast<uint8_t *>(io_uring_recvmsg_payload(m, &mh_));
		const unsigned n = io_uring_recvmsg_payload_length(m, len, &mh_);
		uint8_t order[kOrderLen];
		if (!core.on_md(payload, uint16_t(n), order))
			return;
		const int slot = slots_.take();
		if (slot < 0) { // the kernel still holds 64 orders: refused, counted, never sent late
			core.counters.orders_unsent++;
			return;
		}
		std::memcpy(orders_ + unsigned(slot) * kOrderSlotSize, order, kOrderLen);
		slot_rx_ns_[slot] = rx_stamp(m);
		OrderSlots::Send now{};
		if (slots_.enqueue(unsigned(slot), kOrderLen, now))
			submit_send(core, now);
	}

	uint64_t rx_stamp(io_uring_recvmsg_out *m)
	{
		uint64_t rx = 0;
		for (cmsghdr *cm = io_uring_recvmsg_cmsg_firsthdr(m, &mh_); cm; cm = io_uring_recvmsg_cmsg_nexthdr(m, &mh_, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
				timespec ts;
				std::memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
				rx = uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
			}
		}
		return rx;
	}

	// Hand bytes [offset, len) of a slot's order to the kernel; an order's first send counts it.
	void submit_send(Core &core, const OrderSlots::Send &x)
	{
		uint8_t *p = orders_ + x.slot * kOrderSlotSize + x.offset;
		const unsigned n = x.len - x.offset;
		io_uring_sqe *s = sqe();
		if (o_.zc && has_send_zc_)
			io_uring_prep_send_zc_fixed(s, kTcpIdx, p, n, MSG_NOSIGNAL, IORING_SEND_ZC_REPORT_USAGE, 0);
		else
			io_uring_prep_send(s, kTcpIdx, p, n, MSG_NOSIGNAL);
		s->flags |= IOSQE_FIXED_FILE;
		s->user_data = kTagSend | uint64_t(x.slot) << kTagBits;
		io_uring_submit(&ring_);
		if (x.offset == 0)
			core.order_sent(slot_rx_ns_[x.slot], kOrderLen);
	}

	const Options &o_;
	uint32_t oe_addr_ = 0;
	io_uring ring_{};
	io_uring_params params_{};
	bool has_socket_op_ = false, has_send_zc_ = false, napi_ok_ = false;
	uint8_t *bufs_ = nullptr, *orders_ = nullptr;
	io_uring_buf_ring *br_ = nullptr;
	msghdr mh_{};
	OrderSlots slots_;
	uint64_t slot_rx_ns_[kOrderSlots] = {}; // kernel RX stamp of the MD that triggered the slot's order
	int tcp_ = -1, md_ = -1;
};

} // namespace

std::unique_ptr<Variant> make_uring(const Options &o, Core &core) { return std::make_unique<Uring>(o, core); }

} // namespace us
