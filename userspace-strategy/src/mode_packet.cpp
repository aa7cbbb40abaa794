// AF_PACKET: frames straight from the link layer into a shared ring, orders out with
// PACKET_QDISC_BYPASS (no qdisc: dev_queue_xmit's queueing layer is skipped) either copied by
// send() or, with --zc, written into a PACKET_TX_RING slot (no per-order copy; send() only kicks).
// The kernel's UDP/TCP stacks never see the lab's flows: a tc ingress program (xdp/tcdrop.bpf.c)
// drops them after the packet socket took its copy, so no RST for our raw TCP port.
//
// Between RX and TX: driver RX -> netif_receive_skb -> packet_rcv/tpacket_rcv (copy into the ring
// slot, set TP_STATUS_USER; wake the reader unless it spins) -> userspace sees the status, engine,
// tcp::Client patches its order template into the TX slot -> send() -> packet_snd/tpacket_snd ->
// packet_direct_xmit -> driver. No IP/UDP/TCP layers, no socket locks on either side.
//
// RX ring: TPACKET_V2 by default — each frame is handed over as soon as it is written. TPACKET_V3
// (--tpacket 3) hands over whole blocks, when full or when the retire timer (1 ms here) fires:
// denser, but it adds up to that timer to every packet of a sparse stream.
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "bpf_prog.h"
#include "raw.h"

namespace us {
namespace {

constexpr unsigned kFrameSize = 2048, kRxFrames = 1024, kTxFrames = 64;
constexpr unsigned kV3BlockSize = 1u << 16, kV3Blocks = 32;

class PacketIo {
public:
	PacketIo(const Options &o, int ifindex) : o_(o)
	{
		rx_fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); // protocol 0: nothing queued before bind
		tx_fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		if (rx_fd_ < 0 || tx_fd_ < 0)
			die("socket(AF_PACKET)");
		setup_rx();
		// ETH_P_ALL, not ETH_P_IP: protocol-specific taps run after tc ingress, where the lab's flows
		// are dropped; ETH_P_ALL taps see the frame before that. Our own transmissions are skipped.
		int one = 1;
		if (setsockopt(rx_fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)))
			die("PACKET_IGNORE_OUTGOING");
		sockaddr_ll sll{};
		sll.sll_family = AF_PACKET;
		sll.sll_protocol = htons(ETH_P_ALL);
		sll.sll_ifindex = ifindex;
		if (bind(rx_fd_, reinterpret_cast<sockaddr *>(&sll), sizeof(sll)))
			die("bind(AF_PACKET rx)");
		if (setsockopt(tx_fd_, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)))
			die("PACKET_QDISC_BYPASS");
		if (o.zc)
			setup_tx_ring();
		else
			copy_bufs_.resize(kFrameSize);
		sll.sll_protocol = 0; // TX socket: receives nothing
		if (bind(tx_fd_, reinterpret_cast<sockaddr *>(&sll), sizeof(sll)))
			die("bind(AF_PACKET tx)");
		if (!o.zc) {
			copy_pkt_.data = copy_bufs_.data();
			copy_pkt_.cap = kFrameSize;
		}
	}
	~PacketIo()
	{
		if (rx_map_)
			munmap(rx_map_, rx_len_);
		if (tx_map_)
			munmap(tx_map_, tx_len_);
		close(rx_fd_);
		close(tx_fd_);
	}

	std::string describe() const
	{
		std::string s = o_.tpacket == 3 ? "rx=PACKET_RX_RING(TPACKET_V3, 64KiB blocks, retire 1ms)"
						: "rx=PACKET_RX_RING(TPACKET_V2, per-frame)";
		s += " tx=PACKET_QDISC_BYPASS+";
		s += o_.zc ? "PACKET_TX_RING" : "send()";
		s += o_.busy_poll ? " wait=ring-spin" : " wait=poll()";
		return s;
	}

	template <class Fn> unsigned rx(Fn &&fn) { return o_.tpacket == 3 ? rx_v3(fn) : rx_v2(fn); }

	void wait_rx(uint64_t timer_ns)
	{
		if (o_.busy_poll)
			return; // spin: the next rx() looks at the ring again
		pollfd p{ rx_fd_, POLLIN, 0 };
		poll(&p, 1, poll_timeout_ms(timer_ns));
	}

	oe::tcp::TxBuffer *tx_begin()
	{
		if (!o_.zc)
			return &copy_pkt_;
		auto *h = reinterpret_cast<tpacket2_hdr *>(tx_map_ + tx_idx_ * kFrameSize);
		if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) {
			// wrong-format or sent frames come back as AVAILABLE; anything else: still queued
			return nullptr;
		}
		return &tx_pkts_[tx_idx_];
	}
	void tx_cancel(oe::tcp::TxBuffer *) {}
	void tx_commit(oe::tcp::TxBuffer *p)
	{
		if (!o_.zc) {
			if (send(tx_fd_, p->data, p->len, 0) != ssize_t(p->len))
				tx_errors_++;
			return;
		}
		auto *h = reinterpret_cast<tpacket2_hdr *>(tx_map_ + tx_idx_ * kFrameSize);
		h->tp_len = p->len;
		__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
		tx_idx_ = (tx_idx_ + 1) % kTxFrames;
		if (send(tx_fd_, nullptr, 0, MSG_DONTWAIT) < 0)
			tx_errors_++;
	}
	uint64_t tx_errors() const { return tx_errors_; }

private:
	void setup_rx()
	{
		int ver = o_.tpacket == 3 ? TPACKET_V3 : TPACKET_V2;
		if (setsockopt(rx_fd_, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)))
			die("PACKET_VERSION");
		if (ver == TPACKET_V3) {
			tpacket_req3 r{};
			r.tp_block_size = kV3BlockSize;
			r.tp_block_nr = kV3Blocks;
			r.tp_frame_size = kFrameSize;
			r.tp_frame_nr = kV3BlockSize / kFrameSize * kV3Blocks;
			r.tp_retire_blk_tov = 1; // ms: the floor of V3's hand-off delay on a quiet stream
			if (setsockopt(rx_fd_, SOL_PACKET, PACKET_RX_RING, &r, sizeof(r)))
				die("PACKET_RX_RING(V3)");
			rx_len_ = size_t(kV3BlockSize) * kV3Blocks;
		} else {
			tpacket_req r{};
			r.tp_block_size = 1u << 16;
			r.tp_frame_size = kFrameSize;
			r.tp_block_nr = kRxFrames * kFrameSize / r.tp_block_size;
			r.tp_frame_nr = kRxFrames;
			if (setsockopt(rx_fd_, SOL_PACKET, PACKET_RX_RING, &r, sizeof(r)))
				die("PACKET_RX_RING(V2)");
			rx_len_ = size_t(kRxFrames) * kFrameSize;
		}
		rx_map_ = static_cast<uint8_t *>(mmap(nullptr, rx_len_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, rx_fd_, 0));
		if (rx_map_ == MAP_FAILED)
			die("mmap(RX ring)");
	}

	void setup_tx_ring()
	{
		int ver = TPACKET_V2;
		if (setsockopt(tx_fd_, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)))
			die("PACKET_VERSION(tx)");
		tpacket_req r{};
		r.tp_block_size = 1u << 16;
		r.tp_frame_size = kFrameSize;
		r.tp_block_nr = kTxFrames * kFrameSize / r.tp_block_size;
		r.tp_frame_nr = kTxFrames;
		if (setsockopt(tx_fd_, SOL_PACKET, PACKET_TX_RING, &r, sizeof(r)))
			die("PACKET_TX_RING");
		tx_len_ = size_t(kTxFrames) * kFrameSize;
		tx_map_ = static_cast<uint8_t *>(mmap(nullptr, tx_len_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, tx_fd_, 0));
		if (tx_map_ == MAP_FAILED)
			die("mmap(TX ring)");
		// The frame starts where tpacket_snd looks for it: after the aligned tpacket2_hdr.
		const unsigned off = TPACKET_ALIGN(sizeof(tpacket2_hdr));
		tx_pkts_.resize(kTxFrames);
		for (unsigned i = 0; i < kTxFrames; i++) {
			tx_pkts_[i].data = tx_map_ + i * kFrameSize + off;
			tx_pkts_[i].cap = uint16_t(kFrameSize - off);
			tx_pkts_[i].template_gen = 0; // persists per slot: the order template stays warm
		}
	}

	template <class Fn> unsigned rx_v2(Fn &fn)
	{
		unsigned n = 0;
		for (; n < 64; n++) {
			auto *h = reinterpret_cast<tpacket2_hdr *>(rx_map_ + rx_idx_ * kFrameSize);
			if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
				break;
			fn(reinterpret_cast<uint8_t *>(h) + h->tp_mac, h->tp_snaplen,
			   uint64_t(h->tp_sec) * 1000000000ull + h->tp_nsec);
			__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
			rx_idx_ = (rx_idx_ + 1) % kRxFrames;
		}
		return n;
	}

	template <class Fn> unsigned rx_v3(Fn &fn)
	{
		auto *b = reinterpret_cast<tpacket_block_desc *>(rx_map_ + size_t(rx_idx_) * kV3BlockSize);
		if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			return 0;
		const unsigned count = b->hdr.bh1.num_pkts;
		auto *h = reinterpret_cast<tpacket3_hdr *>(reinterpret_cast<uint8_t *>(b) + b->hdr.bh1.offset_to_first_pkt);
		for (unsigned i = 0; i < count; i++) {
			fn(reinterpret_cast<uint8_t *>(h) + h->tp_mac, h->tp_snaplen,
			   uint64_t(h->tp_sec) * 1000000000ull + h->tp_nsec);
			h = reinterpret_cast<tpacket3_hdr *>(reinterpret_cast<uint8_t *>(h) + h->tp_next_offset);
		}
		__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		rx_idx_ = (rx_idx_ + 1) % kV3Blocks;
		return count ? count : 1;
	}

	const Options &o_;
	int rx_fd_ = -1, tx_fd_ = -1;
	uint8_t *rx_map_ = nullptr, *tx_map_ = nullptr;
	size_t rx_len_ = 0, tx_len_ = 0;
	unsigned rx_idx_ = 0, tx_idx_ = 0;
	std::vector<oe::tcp::TxBuffer> tx_pkts_;
	std::vector<uint8_t> copy_bufs_;
	oe::tcp::TxBuffer copy_pkt_{};
	uint64_t tx_errors_ = 0;
};

class Packet : public Variant {
public:
	Packet(const Options &o, Core &core)
		: o_(o), core_(core), ep_(resolve_endpoints(o)), drop_(o, "tcdrop", nullptr), io_(o, ep_.ifindex),
		  raw_(o, ep_, io_)
	{
		join_fd_ = join_group_only(o, ep_);
		cfg_ = lab_cfg(0);
		// With an address of our own the kernel drops our TCP's segments itself (not its address,
		// no forwarding): no RST, no tc program (and no CONFIG_NET_SCH_INGRESS/NET_CLS_BPF) needed.
		if (!ep_.own_ip) {
			drop_.set_cfg(cfg_);
			drop_.attach_tc_ingress(ep_.ifindex);
		}
		core.features = io_.describe() +
				(ep_.own_ip ? " kernel-stack-bypass=own-ip(" + o.raw_ip + ",ARP answered)" : " kernel-stack-bypass=tc-ingress-drop") +
				" tcp=oe::tcp::Client";
	}
	~Packet() override
	{
		core_.extra = drop_.stats_json() + client_json(raw_.client()) + raw_.warm_json();
		char b[128];
		std::snprintf(b, sizeof(b), ",\"af_packet_tx_errors\":%llu", (unsigned long long)io_.tx_errors());
		core_.extra += b;
		std::snprintf(b, sizeof(b), ",\"raw_rx_frames\":%llu,\"arp_replies\":%llu,\"port_in_use\":%llu",
			      (unsigned long long)raw_.frames(), (unsigned long long)raw_.arp_replies(),
			      (unsigned long long)port_.in_use());
		core_.extra += b;
		close(join_fd_);
	}

	Outcome session(Core &core) override
	{
		const uint16_t port = port_.reserve(ep_.local_ip);
		if (!port)
			return Outcome::ConnectFailed; // every port drawn is bound by someone else
		if (!ep_.own_ip)
			drop_.set_cfg(lab_cfg(port)); // before the SYN: the SYN-ACK must not reach the kernel's TCP
		return raw_.session(core, port);
	}

private:
	oe_lab_cfg lab_cfg(uint16_t local_port) const
	{
		oe_lab_cfg c{};
		c.group = htonl(ep_.group);
		c.exch_ip = htonl(ep_.remote_ip);
		c.local_ip = htonl(ep_.local_ip);
		c.md_port = htons(ep_.md_port);
		c.oe_port = htons(ep_.remote_port);
		c.local_port = htons(local_port);
		std::memcpy(c.local_mac, ep_.local_mac, 6);
		return c;
	}

	const Options &o_;
	Core &core_;
	RawEndpoints ep_;
	BpfProg drop_;
	PacketIo io_;
	RawSession<PacketIo> raw_;
	PortReservation port_; // the session's local port, held in the kernel's bind table
	oe_lab_cfg cfg_{};
	int join_fd_ = -1;
};

} // namespace

std::unique_ptr<Variant> make_packet(const Options &o, Core &core) { return std::make_unique<Packet>(o, core); }

} // namespace us
