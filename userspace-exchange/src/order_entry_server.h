// OrderEntryServer: the TCP listener (default port 9012) and the single order-entry connection.
//
// Accept is a multishot io_uring accept that stays armed in every state, so a second concurrent
// connect is accepted by the kernel and then refused by us at once (closed, logged) instead of
// sitting in the backlog. The live connection has one recvmsg outstanding (with SO_TIMESTAMPING RX
// software stamps in the control data) and one POLLHUP/POLLERR poll.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>

#include "uring.h"

namespace oeex {

struct OeSocketSettings {
	std::string bind = "0.0.0.0";
	uint16_t port = 9012;
	// TCP keepalive on the accepted connection: idle seconds before the first probe (0 = off);
	// probes then every kKeepaliveIntervalS, the session ends after kKeepaliveProbes unanswered.
	uint32_t keepalive_s = 0;
};
constexpr int kKeepaliveIntervalS = 1;
constexpr int kKeepaliveProbes = 3;

// KeepaliveTimeout: the connection failed with ETIMEDOUT while keepalive was on (the exchange never
// sends on it, so nothing else can time it out): the client vanished without FIN or RST.
enum class DisconnectReason { PeerClosed, Reset, Error, HangUp, KeepaliveTimeout };
const char *to_string(DisconnectReason r);

class OrderEntryServer {
public:
	struct Listener {
		// false: refuse (the exchange already has a session); the server then closes it
		virtual bool on_connect(const std::string &peer) = 0;
		virtual void on_refused(const std::string &peer) = 0;
		virtual void on_data(const uint8_t *bytes, size_t len, uint64_t rx_ns, bool kernel_stamp) = 0;
		virtual void on_disconnect(DisconnectReason why, int err) = 0;

	protected:
		~Listener() = default;
	};

	OrderEntryServer(Uring &ring, const OeSocketSettings &settings, Listener &listener);
	~OrderEntryServer();

	std::string describe() const;
	uint16_t bound_port() const { return port_; }
	bool connected() const { return active_ != nullptr; }
	// Close the live connection (no-op without one). Stale completions are ignored afterwards.
	void close_connection();
	void on_cqe(const OpTag &tag, const io_uring_cqe &cqe);

private:
	struct Connection {
		int fd = -1;
		uint32_t generation = 0;
		unsigned in_flight = 0;
		bool open = true;
		uint8_t buffer[16384];
		msghdr msg{};
		iovec iov{};
		alignas(cmsghdr) char control[256];
	};
	void arm_accept();
	void enable_keepalive(int fd);
	void arm_recv(Connection &c);
	void arm_poll(Connection &c);
	void close_fd(int fd);
	void retire(Connection &c);
	void collect(uint32_t generation);

	Uring &ring_;
	OeSocketSettings settings_;
	Listener &listener_;
	int listen_fd_ = -1;
	uint16_t port_ = 0;
	sockaddr_in accept_addr_{};
	socklen_t accept_len_ = sizeof accept_addr_;
	uint32_t next_generation_ = 1;
	Connection *active_ = nullptr;
	std::map<uint32_t, std::unique_ptr<Connection>> connections_; // live + closing, by generation
};

std::string peer_name(int fd);

} // namespace oeex
