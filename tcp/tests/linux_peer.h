// The exchange side of the interop tests: an ordinary Linux TCP socket (listen/accept/read) in a thread
// of the harness process, inside the test's network namespace.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace oe::tcp::interop {

struct PeerPlan {
	enum class Mode { Verify, CloseAfter, RstAfter, SendData, HoldOpen }; // HoldOpen: never close after EOF
	Mode mode = Mode::Verify;
	std::string bind_ip = "10.77.0.1";
	uint16_t port = 9012;
	uint32_t stop_after = 0;   // CloseAfter/RstAfter: orders to read first
	int rcvbuf = 0;            // 0: default; small + slow reads = zero window
	int stall_ms = 0;          // before the first read
	int read_chunk = 65536;
	int read_pause_us = 0;
	uint32_t send_bytes = 0;   // SendData
	int timeout_s = 30;
};

struct PeerResult {
	bool accepted = false;
	bool eof = false;          // the client's FIN arrived (read returned 0)
	uint32_t orders = 0;       // complete, correct orders in sequence
	uint64_t bytes = 0;
	uint16_t client_port = 0;
	std::string client_ip;
	bool reset_seen = false;   // HoldOpen: the client's RST moved our socket to CLOSE
	std::string error;         // first violation (out of order, corrupt, socket error)
	std::vector<uint64_t> read_ns; // CLOCK_MONOTONIC when the application read order i (its last byte)
};

class LinuxPeer {
public:
	~LinuxPeer();
	bool start(const PeerPlan &plan, std::string &err); // listening when it returns true
	void join();
	bool done() const { return done_.load(); }
	const PeerResult &result() const { return result_; }

private:
	void run();
	PeerPlan plan_;
	PeerResult result_;
	int listen_fd_ = -1;
	std::thread thread_;
	std::atomic<bool> done_{ false };
};

} // namespace oe::tcp::interop
