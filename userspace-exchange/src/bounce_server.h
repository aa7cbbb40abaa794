// Bounce mode (XDP_TX floor experiment): the subscriber reflects market-data frames straight back as
// UDP datagrams to --bounce-port. Payload: at least 8 bytes, the first 8 the MD seq (local_timestamp,
// u64 little-endian) — order-sized (13 bytes) in the lab. Each one is an "order" for the stopwatch,
// matched to the expected trigger with that seq.
#pragma once
#include <cstdint>
#include <string>
#include <sys/socket.h>

#include "uring.h"

namespace oeex {

class BounceServer {
public:
	struct Listener {
		virtual void on_bounce(uint64_t seq, size_t len, uint64_t rx_ns, bool kernel_stamp) = 0;
		virtual void on_bounce_malformed(size_t len) = 0;
		// SO_RXQ_OVFL: datagrams the kernel dropped on this socket since it was opened (cumulative)
		virtual void on_bounce_drops(uint32_t total) = 0;

	protected:
		~Listener() = default;
	};
	BounceServer(Uring &ring, const std::string &bind, uint16_t port, Listener &listener);
	~BounceServer();
	uint16_t bound_port() const { return port_; }
	void on_cqe(const OpTag &tag, const io_uring_cqe &cqe);

private:
	void arm();
	Uring &ring_;
	Listener &listener_;
	int fd_ = -1;
	uint16_t port_ = 0;
	uint8_t buffer_[2048];
	msghdr msg_{};
	iovec iov_{};
	alignas(cmsghdr) char control_[256];
};

} // namespace oeex
