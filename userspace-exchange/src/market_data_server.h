// MarketDataServer: one UDP socket "connected" to the multicast group, fed through io_uring.
//
// Every send is non-blocking (MSG_DONTWAIT, O_NONBLOCK). A full socket buffer (EAGAIN/ENOBUFS) is
// counted as "would block" and the datagram retried first, in order — nothing is dropped silently.
// After a full buffer, batches are submitted as linked chains for a while, so a failure cancels the
// rest of the chain and the order is kept; a datagram that overtook a retried one in an unlinked
// batch is counted as "reordered".
//
// Trigger packets carry a per-packet SO_TIMESTAMPING request (software TX stamp, reported on the error
// queue keyed by SCM_TS_OPT_ID) so tick-to-trade starts as close to the wire as Linux allows; the
// clock right after the send completes is the fallback.
#pragma once
#include <cstdint>
#include <deque>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <vector>

#include "format_packet.h"
#include "uring.h"

namespace oeex {

struct MdSocketSettings {
	std::string group = "239.255.0.1";
	uint16_t port = 12345;
	std::string iface;  // interface name or local IPv4 address for IP_MULTICAST_IF; empty = routing
	std::string source; // local address to bind (empty / 0.0.0.0 = any)
	uint8_t ttl = 1;
	bool loopback = true; // IP_MULTICAST_LOOP: local subscribers (tests, loopback runs) see the data
	int sndbuf = 0;       // SO_SNDBUF override, 0 = kernel default
};

struct MdCounters {
	uint64_t published = 0, bytes = 0;
	uint64_t would_block = 0;  // EAGAIN/ENOBUFS: socket buffer full; the datagram was retried
	uint64_t send_errors = 0;  // any other failure: the datagram is lost, counted here
	uint64_t tx_stamps = 0;    // software TX timestamps received
	uint64_t tx_stamp_requests = 0;
	uint64_t unsent_at_stop = 0; // formatted but not yet sent when the session ended
	uint64_t reordered = 0;      // sent ahead of an earlier datagram that was being retried
	// Sends not yet completed when the session ended: each is counted as it completes, in published
	// (and bytes) or in unsent_at_stop, and the report waits for them.
	uint64_t in_flight_at_end = 0;
	// Set when the report is built: sends whose completion had still not come (a new session began,
	// or the exit's wait ran out), so in no other counter. 0 normally.
	uint64_t in_flight_at_report = 0;
};

class MarketDataServer {
public:
	struct Slot {
		char payload[kMaxPayload];
		uint32_t len = 0;
		uint64_t seq = 0;        // local_timestamp of the row
		int64_t trigger_id = -1; // reconciler id when this packet must produce an order
		// sendmsg state for stamped packets
		msghdr msg{};
		iovec iov{};
		alignas(cmsghdr) char control[64];
	};
	struct Listener {
		// after_send_ns: CLOCK_REALTIME right after completion, for trigger packets only (else 0)
		virtual void on_sent(const Slot &slot, uint64_t after_send_ns) = 0;
		virtual void on_tx_stamp(uint32_t key, uint64_t stamp_ns) = 0;
		virtual void on_send_error(const Slot &slot, int err) = 0;

	protected:
		~Listener() = default;
	};

	MarketDataServer(Uring &ring, const MdSocketSettings &settings, Listener &listener);
	~MarketDataServer();

	std::string describe() const; // "239.255.0.1:12345 via lo ttl 1"
	bool tx_stamping() const { return tx_stamping_; }

	// A free slot to format into, or nullptr when all are in flight.
	Slot *acquire();
	// Queue a formatted slot; stamp_key >= 0 requests a TX timestamp reported with that key.
	void queue(Slot *slot, int64_t stamp_key);
	// Submit queued slots (retries first) as one linked chain, unless a chain is still in flight.
	void flush();
	bool idle() const { return in_flight_ == 0 && ready_.empty(); }
	// Sends in flight whose completions will still change counters() (those of the session the
	// counters belong to, also after it ended); 0 = the counters are final for an ended session.
	uint32_t unsettled() const { return flight_epoch_ == counted_epoch_ ? in_flight_ : 0; }
	// New packets may be queued only behind completed chains, so retries keep their place in line.
	bool can_queue() const { return in_flight_ == 0 && !backoff_; }
	// After a full socket buffer: true until the socket polls writable again (retries wait for it).
	bool backing_off() const { return backoff_; }
	size_t ready() const { return ready_.size(); }
	// Give back a slot that will not be sent.
	void release(Slot *slot) { free_.push_back(uint32_t(slot - slots_.data())); }
	void count_unsent(uint64_t n) { counters_.unsent_at_stop += n; }
	// Drop everything not yet sent (session over); counted in unsent_at_stop. Sends in flight are
	// not retried or stamped any more, but still counted for this session when they complete.
	void discard_unsent();

	void on_cqe(const OpTag &tag, const io_uring_cqe &cqe);
	const MdCounters &counters() const { return counters_; }
	// A new session: counters from zero; completions of earlier sessions' sends count no more.
	void reset_counters()
	{
		counters_ = MdCounters{};
		counted_epoch_ = epoch_;
	}

private:
	void arm_error_queue();
	void arm_writable();
	void read_error_queue();
	void parse_error_queue(int len);

	Uring &ring_;
	MdSocketSettings settings_;
	Listener &listener_;
	int fd_ = -1;
	sockaddr_in group_{};
	std::vector<Slot> slots_;
	std::vector<uint32_t> free_;
	std::deque<uint32_t> ready_;
	std::vector<int64_t> stamp_key_; // per slot, -1 = none
	uint32_t in_flight_ = 0;
	bool chain_failed_ = false;
	uint64_t link_until_ns_ = 0;
	uint32_t epoch_ = 0; // bumped by discard_unsent(): tags each send with the session it belongs to
	uint32_t counted_epoch_ = 0; // the epoch counters_ belong to (set by reset_counters)
	uint32_t flight_epoch_ = 0;  // the epoch of the batch in flight (one at a time, see can_queue)
	bool fixed_file_ = false; // fd_ registered with the ring: index 0, no fget/fput per send
	int target() const { return fixed_file_ ? 0 : fd_; }
	bool backoff_ = false;
	bool tx_stamping_ = false; // kernel honours per-packet SCM_TS_OPT_ID keys (>= 6.13)
	bool errqueue_armed_ = false;
	uint32_t stamps_outstanding_ = 0;
	MdCounters counters_;
	// error-queue receive state
	msghdr err_msg_{};
	iovec err_iov_{};
	char err_data_[64];
	alignas(cmsghdr) char err_control_[256];
};

} // namespace oeex
