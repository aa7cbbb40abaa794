// AF_XDP: xdp/steer.bpf.c redirects the lab's two flows (MD, our order-entry TCP) from the driver's
// RX path into an XSK; everything else stays with the kernel. Orders leave through the XSK's TX
// ring, built by tcp::Client straight into UMEM frames.
//
// Zero-copy: igb gained AF_XDP zero-copy only after 6.12 (the guest kernel), and veth has none, so
// the socket is bound XDP_COPY: on RX the driver's XDP program runs on the page, xsk_rcv copies the
// frame into a UMEM frame; on TX, sendto() makes the kernel copy the descriptor's frame into an skb
// and hand it to the driver (xsk_generic_xmit). With --busy-poll the socket prefers busy polling
// (SO_PREFER_BUSY_POLL + SO_BUSY_POLL): our recvfrom()/sendto() run the driver's NAPI poll in our
// context instead of waiting for the interrupt -> softirq.
//
// Between RX and TX: driver RX -> XDP program (steer) -> xsk copy into UMEM, RX ring entry ->
// userspace sees it (spin or poll wakeup), engine, tcp::Client patches its template into a UMEM frame
// -> TX ring entry -> sendto() -> xsk_generic_xmit -> driver.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xdp/xsk.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "bpf_prog.h"
#include "raw.h"

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

namespace us {
namespace {

constexpr unsigned kFrames = 4096, kFrameSize = 2048, kRing = 2048;
constexpr unsigned kRxFrames = kFrames / 2; // first half feeds the fill ring; second half is TX

class XskIo {
public:
	XskIo(const Options &o, const RawEndpoints &ep) : o_(o)
	{
		area_ = static_cast<uint8_t *>(mmap(nullptr, size_t(kFrames) * kFrameSize, PROT_READ | PROT_WRITE,
						    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0));
		if (area_ == MAP_FAILED)
			die("mmap(UMEM)");
		xsk_umem_config uc{ kRing, kRing, kFrameSize, 0, 0 };
		int rc = xsk_umem__create(&umem_, area_, uint64_t(kFrames) * kFrameSize, &fill_, &comp_, &uc);
		if (rc)
			errno = -rc, die("xsk_umem__create");
		xsk_socket_config sc{};
		sc.rx_size = kRing;
		sc.tx_size = kRing;
		sc.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD; // our own steering program
		sc.xdp_flags = o.xdp_skb ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
		sc.bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP;
		rc = xsk_socket__create(&xsk_, o.iface.c_str(), o.queue, umem_, &rx_, &tx_, &sc);
		if (rc)
			errno = -rc, die("xsk_socket__create (XDP_COPY)");
		fd_ = xsk_socket__fd(xsk_);
		if (o.busy_poll) {
			int one = 1, us = 20, budget = 64;
			prefer_busy_ = !setsockopt(fd_, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)) &&
				       !setsockopt(fd_, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)) &&
				       !setsockopt(fd_, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget));
		}
		uint32_t idx = 0;
		if (xsk_ring_prod__reserve(&fill_, kRxFrames, &idx) != kRxFrames)
			die("fill ring reserve");
		for (unsigned i = 0; i < kRxFrames; i++)
			*xsk_ring_prod__fill_addr(&fill_, idx + i) = uint64_t(i) * kFrameSize;
		xsk_ring_prod__submit(&fill_, kRxFrames);
		tx_pkts_.resize(kFrames - kRxFrames);
		for (unsigned i = 0; i < kFrames - kRxFrames; i++) {
			tx_pkts_[i].data = area_ + size_t(kRxFrames + i) * kFrameSize;
			tx_pkts_[i].cap = kFrameSize;
			tx_pkts_[i].template_gen = 0;
			free_.push_back(i);
		}
		(void)ep;
	}
	~XskIo()
	{
		xsk_socket__delete(xsk_);
		xsk_umem__delete(umem_);
		munmap(area_, size_t(kFrames) * kFrameSize);
	}

	int fd() const { return fd_; }
	std::string describe() const
	{
		std::string s = "xsk=XDP_COPY(no zero-copy: igb in 6.12 and veth lack it)|NEED_WAKEUP queue=" +
				std::to_string(o_.queue);
		s += o_.busy_poll ? (prefer_busy_ ? " wait=spin+SO_PREFER_BUSY_POLL" : " wait=spin(busy poll refused)")
				  : " wait=poll()";
		return s;
	}

	template <class Fn> unsigned rx(Fn &&fn)
	{
		reap_completions();
		uint32_t idx = 0;
		const unsigned n = xsk_ring_cons__peek(&rx_, 64, &idx);
		if (!n)
			return 0;
		const uint64_t seen = now_ns(); // XSK has no kernel RX stamp: this is when we saw it
		for (unsigned i = 0; i < n; i++) {
			const xdp_desc *d = xsk_ring_cons__rx_desc(&rx_, idx + i);
			fn(static_cast<uint8_t *>(xsk_umem__get_data(area_, d->addr)), d->len, seen);
		}
		// Give the same frames back to the fill ring (aligned mode: frame base of each address).
		uint32_t fidx = 0;
		while (xsk_ring_prod__reserve(&fill_, n, &fidx) != n)
			reap_completions();
		for (unsigned i = 0; i < n; i++) {
			const xdp_desc *d = xsk_ring_cons__rx_desc(&rx_, idx + i);
			*xsk_ring_prod__fill_addr(&fill_, fidx + i) = xsk_umem__extract_addr(d->addr) & ~uint64_t(kFrameSize - 1);
		}
		xsk_ring_prod__submit(&fill_, n);
		xsk_ring_cons__release(&rx_, n);
		return n;
	}

	void wait_rx(uint64_t timer_ns)
	{
		if (o_.busy_poll) { // drive the driver's NAPI from here (busy poll) instead of an IRQ
			recvfrom(fd_, nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
			return;
		}
		pollfd p{ fd_, POLLIN, 0 };
		poll(&p, 1, poll_timeout_ms(timer_ns));
	}

	oe::tcp::TxBuffer *tx_begin()
	{
		if (free_.empty())
			reap_completions();
		if (free_.empty())
			return nullptr;
		cur_ = free_.back();
		free_.pop_back();
		return &tx_pkts_[cur_];
	}
	void tx_cancel(oe::tcp::TxBuffer *p) { free_.push_back(unsigned(p - tx_pkts_.data())); }
	void tx_commit(oe::tcp::TxBuffer *p)
	{
		const unsigned i = unsigned(p - tx_pkts_.data());
		uint32_t idx = 0;
		if (xsk_ring_prod__reserve(&tx_, 1, &idx) != 1) {
			free_.push_back(i);
			tx_errors_++;
			return;
		}
		xdp_desc *d = xsk_ring_prod__tx_desc(&tx_, idx);
		d->addr = uint64_t(kRxFrames + i) * kFrameSize;
		d->len = p->len;
		d->options = 0;
		xsk_ring_prod__submit(&tx_, 1);
		// Copy mode transmits inside sendto(): always kick.
		if (sendto(fd_, nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0 && errno != EAGAIN && errno != EBUSY &&
		    errno != ENOBUFS)
			tx_errors_++;
	}
	uint64_t tx_errors() const { return tx_errors_; }

private:
	void reap_completions()
	{
		uint32_t idx = 0;
		const unsigned n = xsk_ring_cons__peek(&comp_, 64, &idx);
		for (unsigned i = 0; i < n; i++) {
			const uint64_t addr = *xsk_ring_cons__comp_addr(&comp_, idx + i);
			free_.push_back(unsigned(addr / kFrameSize) - kRxFrames);
		}
		if (n)
			xsk_ring_cons__release(&comp_, n);
	}

	const Options &o_;
	uint8_t *area_ = nullptr;
	xsk_umem *umem_ = nullptr;
	xsk_socket *xsk_ = nullptr;
	xsk_ring_prod fill_{}, tx_{};
	xsk_ring_cons comp_{}, rx_{};
	int fd_ = -1;
	bool prefer_busy_ = false;
	std::vector<oe::tcp::TxBuffer> tx_pkts_;
	std::vector<unsigned> free_;
	unsigned cur_ = 0;
	uint64_t tx_errors_ = 0;
};

oe_lab_cfg lab_cfg(const RawEndpoints &ep, uint16_t local_port)
{
	oe_lab_cfg c{};
	c.group = htonl(ep.group);
	c.exch_ip = htonl(ep.remote_ip);
	c.local_ip = htonl(ep.local_ip);
	c.md_port = htons(ep.md_port);
	c.oe_port = htons(ep.remote_port);
	c.local_port = htons(local_port);
	std::memcpy(c.local_mac, ep.local_mac, 6);
	return c;
}

class Xdp : public Variant {
public:
	Xdp(const Options &o, Core &core)
		: core_(core), ep_(resolve_endpoints(o)), steer_(o, "steer", o.bpf_obj.c_str()), io_(o, ep_), raw_(o, ep_, io_)
	{
		join_fd_ = join_group_only(o, ep_);
		steer_.set_cfg(lab_cfg(ep_, 0xffff)); // no session yet: match no order-entry port
		uint32_t key = o.queue;
		int fd = io_.fd();
		if (bpf_map_update_elem(steer_.map_fd("xsks"), &key, &fd, BPF_ANY))
			die("xsks map update");
		steer_.attach_xdp(ep_.ifindex, o.xdp_skb);
		wait_carrier(o.iface);
		core.features = std::string("xdp=") + steer_.xdp_mode() + " " + io_.describe() + " tcp=oe::tcp::Client";
	}
	~Xdp() override
	{
		core_.extra = steer_.stats_json() + client_json(raw_.client()) + raw_.warm_json();
		char b[128];
		std::snprintf(b, sizeof(b), ",\"xsk_tx_errors\":%llu", (unsigned long long)io_.tx_errors());
		core_.extra += b;
		std::snprintf(b, sizeof(b), ",\"raw_rx_frames\":%llu,\"port_in_use\":%llu", (unsigned long long)raw_.frames(),
			      (unsigned long long)port_.in_use());
		core_.extra += b;
		close(join_fd_);
	}

	Outcome session(Core &core) override
	{
		const uint16_t port = port_.reserve(ep_.local_ip);
		if (!port)
			return Outcome::ConnectFailed; // every port drawn is bound by someone else
		steer_.set_cfg(lab_cfg(ep_, port)); // before the SYN: the SYN-ACK must come to us
		return raw_.session(core, port);
	}

private:
	Core &core_;
	RawEndpoints ep_;
	BpfProg steer_; // declared before the XSK: detached after the socket is gone
	XskIo io_;
	RawSession<XskIo> raw_;
	PortReservation port_; // the session's local port, held in the kernel's bind table
	int join_fd_ = -1;
};

} // namespace

std::unique_ptr<Variant> make_xdp(const Options &o, Core &core) { return std::make_unique<Xdp>(o, core); }

} // namespace us
