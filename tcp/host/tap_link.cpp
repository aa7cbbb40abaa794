// TAP-backed wire with impairment (see tap_link.h).
#include "host/tap_link.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sstream>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace oe::tcp::host {

bool parse_impairment(const std::string &spec, Impairment &out, std::string &err)
{
	std::stringstream ss(spec);
	std::string item;
	while (std::getline(ss, item, ',')) {
		const auto eq = item.find('=');
		if (eq == std::string::npos) {
			err = "impairment item without '=': " + item;
			return false;
		}
		const std::string key = item.substr(0, eq), val = item.substr(eq + 1);
		char *end = nullptr;
		const unsigned long v = std::strtoul(val.c_str(), &end, 10);
		if (val.empty() || *end || v > 100000) {
			err = "bad number in impairment: " + item;
			return false;
		}
		if (key == "loss")
			out.loss_pct = unsigned(v);
		else if (key == "dup")
			out.dup_pct = unsigned(v);
		else if (key == "reorder")
			out.reorder_pct = unsigned(v);
		else if (key == "delay")
			out.delay_ms = unsigned(v);
		else {
			err = "unknown impairment '" + key + "' (loss, dup, reorder, delay)";
			return false;
		}
		if ((key != "delay") && v > 100) {
			err = "percentage over 100: " + item;
			return false;
		}
	}
	return true;
}

TapLink::~TapLink()
{
	if (fd_ >= 0)
		::close(fd_);
}

bool TapLink::open(const std::string &ifname, std::string &err)
{
	fd_ = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd_ < 0) {
		err = std::string("open /dev/net/tun: ") + strerror(errno);
		return false;
	}
	ifreq ifr{};
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
	if (ioctl(fd_, TUNSETIFF, &ifr) < 0) {
		err = "TUNSETIFF " + ifname + ": " + strerror(errno);
		return false;
	}
	ifname_ = ifname;
	return true;
}

bool TapLink::linux_mac(uint8_t mac[6], std::string &err) const
{
	const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ifreq ifr{};
	std::strncpy(ifr.ifr_name, ifname_.c_str(), IFNAMSIZ - 1);
	const int rc = s < 0 ? -1 : ioctl(s, SIOCGIFHWADDR, &ifr);
	if (s >= 0)
		::close(s);
	if (rc < 0) {
		err = "SIOCGIFHWADDR " + ifname_ + ": " + strerror(errno);
		return false;
	}
	std::memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return true;
}

void TapLink::impair(const Impairment &outbound, const Impairment &inbound, uint32_t seed)
{
	out_im_ = outbound, in_im_ = inbound;
	rng_.seed(seed);
}

void TapLink::enqueue(Queue &q, const Impairment &im, const uint8_t *f, uint16_t len, uint64_t now)
{
	std::uniform_int_distribution<unsigned> pct(0, 99);
	if (im.loss_pct && pct(rng_) < im.loss_pct) {
		dropped_++;
		return;
	}
	uint64_t due = now + uint64_t(im.delay_ms) * 1000000;
	if (im.reorder_pct && pct(rng_) < im.reorder_pct)
		due += uint64_t(im.reorder_ms) * 1000000;
	q.push(Held{ due, order_++, std::vector<uint8_t>(f, f + len) });
	if (im.dup_pct && pct(rng_) < im.dup_pct) {
		duplicated_++;
		q.push(Held{ due + 100000, order_++, std::vector<uint8_t>(f, f + len) });
	}
}

void TapLink::write_frame(const std::vector<uint8_t> &f)
{
	for (int tries = 0; tries < 1000; tries++) {
		if (::write(fd_, f.data(), f.size()) == ssize_t(f.size())) {
			out_++;
			return;
		}
		if (errno != EAGAIN && errno != EINTR)
			return; // the tap is gone: the test fails on its own terms
		pollfd p{ fd_, POLLOUT, 0 };
		::poll(&p, 1, 1);
	}
}

void TapLink::flush_out(uint64_t now)
{
	while (!out_q_.empty() && out_q_.top().due <= now) {
		write_frame(out_q_.top().frame);
		out_q_.pop();
	}
}

void TapLink::send(const uint8_t *frame, uint16_t len, uint64_t now)
{
	if (!out_im_.any()) {
		write_frame(std::vector<uint8_t>(frame, frame + len));
		return;
	}
	enqueue(out_q_, out_im_, frame, len, now);
	flush_out(now);
}

bool TapLink::receive(std::vector<uint8_t> &buf, uint64_t now, uint64_t timeout_ns)
{
	flush_out(now);
	// drain what the kernel has into the inbound queue (impaired), then hand out what is due
	uint8_t raw[2048];
	for (int i = 0; i < 64; i++) {
		const ssize_t n = ::read(fd_, raw, sizeof(raw));
		if (n <= 0)
			break;
		in_++;
		if (in_im_.any())
			enqueue(in_q_, in_im_, raw, uint16_t(n), now);
		else
			in_q_.push(Held{ now, order_++, std::vector<uint8_t>(raw, raw + n) });
	}
	if (!in_q_.empty() && in_q_.top().due <= now) {
		buf = in_q_.top().frame;
		in_q_.pop();
		return true;
	}
	uint64_t wait = timeout_ns;
	if (!in_q_.empty())
		wait = std::min(wait, in_q_.top().due - now);
	if (!out_q_.empty())
		wait = std::min(wait, out_q_.top().due > now ? out_q_.top().due - now : 0);
	pollfd p{ fd_, POLLIN, 0 };
	::poll(&p, 1, int(std::min<uint64_t>(wait / 1000000, 10)));
	return false;
}

} // namespace oe::tcp::host
