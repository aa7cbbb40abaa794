#include "test_net.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gzip_lines.h"

namespace oeex::testing {

uint64_t now_ms()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

bool TcpClient::connect(const std::string &host, uint16_t port, int timeout_ms)
{
	close();
	uint64_t deadline = now_ms() + uint64_t(timeout_ms);
	sockaddr_in a{};
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1)
		return false;
	// Retry: the exchange may still be starting.
	while (now_ms() < deadline) {
		fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (::connect(fd_, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0) {
			int one = 1;
			setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			return true;
		}
		::close(fd_);
		fd_ = -1;
		usleep(20000);
	}
	return false;
}

bool TcpClient::send_bytes(const void *data, size_t len)
{
	const char *p = static_cast<const char *>(data);
	while (len) {
		ssize_t n = ::send(fd_, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return false;
		p += n;
		len -= size_t(n);
	}
	return true;
}

bool TcpClient::send_order(const Order &o)
{
	uint8_t wire[kOrderSize];
	encode_order(o, wire);
	return send_bytes(wire, sizeof wire);
}

bool TcpClient::wait_closed_by_peer(int timeout_ms)
{
	uint64_t deadline = now_ms() + uint64_t(timeout_ms);
	while (fd_ >= 0) {
		int left = int(deadline - now_ms());
		if (deadline <= now_ms())
			return false;
		pollfd p{fd_, POLLIN, 0};
		if (poll(&p, 1, left) <= 0)
			return false;
		char buf[256];
		ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			return true;
	}
	return false;
}

void TcpClient::close()
{
	if (fd_ >= 0)
		::close(fd_);
	fd_ = -1;
}

void TcpClient::reset()
{
	if (fd_ < 0)
		return;
	linger l{1, 0};
	setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	close();
}

MulticastReceiver::~MulticastReceiver()
{
	if (fd_ >= 0)
		::close(fd_);
}

bool MulticastReceiver::join(const std::string &group, uint16_t port, const std::string &iface_addr, int rcvbuf)
{
	fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
	sockaddr_in a{};
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	inet_pton(AF_INET, group.c_str(), &a.sin_addr);
	if (bind(fd_, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0)
		return false;
	ip_mreq m{};
	m.imr_multiaddr = a.sin_addr;
	inet_pton(AF_INET, iface_addr.c_str(), &m.imr_interface);
	return setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) == 0;
}

std::optional<std::string> MulticastReceiver::receive(int timeout_ms)
{
	pollfd p{fd_, POLLIN, 0};
	if (poll(&p, 1, timeout_ms) <= 0)
		return std::nullopt;
	char buf[2048];
	ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
	if (n < 0)
		return std::nullopt;
	return std::string(buf, size_t(n));
}

std::vector<std::string> read_gzip_lines(const std::string &path)
{
	std::vector<std::string> out;
	GzipLineReader r;
	if (!r.open(path))
		return out;
	std::string_view line;
	while (r.next(line) == GzipLineReader::Status::Line)
		out.emplace_back(line);
	return out;
}

std::string csv_field(const std::string &line, int index)
{
	size_t start = 0;
	for (int i = 0; i < index; i++) {
		start = line.find(',', start);
		if (start == std::string::npos)
			return "";
		start++;
	}
	size_t end = line.find(',', start);
	return line.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

} // namespace oeex::testing
