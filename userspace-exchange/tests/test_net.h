// Real-socket helpers shared by the system tests and the tools (oeclient, mdsink): a TCP order-entry
// client and a multicast subscriber. Plain blocking sockets with timeouts — these are the
// counterparties, not the code under test.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "order_wire.h"

namespace oeex::testing {

class TcpClient {
public:
	TcpClient() = default;
	~TcpClient() { close(); }
	TcpClient(const TcpClient &) = delete;
	TcpClient &operator=(const TcpClient &) = delete;
	bool connect(const std::string &host, uint16_t port, int timeout_ms = 2000);
	bool send_bytes(const void *data, size_t len);
	bool send_order(const Order &o);
	// Wait until the peer closes (true) or timeout_ms passes (false). Discards any data.
	bool wait_closed_by_peer(int timeout_ms);
	void close();      // orderly FIN
	void reset();      // RST (SO_LINGER 0)
	int fd() const { return fd_; }

private:
	int fd_ = -1;
};

class MulticastReceiver {
public:
	MulticastReceiver() = default;
	~MulticastReceiver();
	MulticastReceiver(const MulticastReceiver &) = delete;
	MulticastReceiver &operator=(const MulticastReceiver &) = delete;
	// Join group on the interface with local address iface_addr (loopback in tests).
	bool join(const std::string &group, uint16_t port, const std::string &iface_addr = "127.0.0.1", int rcvbuf = 8 << 20);
	// One datagram, or nullopt after timeout_ms without one.
	std::optional<std::string> receive(int timeout_ms);
	int fd() const { return fd_; }

private:
	int fd_ = -1;
};

// Lines of a gzip CSV file (without newlines).
std::vector<std::string> read_gzip_lines(const std::string &path);
// Field `index` (0-based) of a CSV line.
std::string csv_field(const std::string &line, int index);
uint64_t now_ms();

} // namespace oeex::testing
