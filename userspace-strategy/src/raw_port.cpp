// Addresses for the raw-frame modes: what the kernel would have looked up for us (interface MAC and
// IPv4, the exchange's MAC from the neighbour table).
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "raw.h"

namespace us {

uint32_t random_u32()
{
	uint32_t v = 0;
	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = uint32_t(mono_ns() * 2654435761u);
	return v;
}

void wait_carrier(const std::string &iface)
{
	const std::string path = "/sys/class/net/" + iface + "/carrier";
	for (int i = 0; i < 50; i++) {
		FILE *f = std::fopen(path.c_str(), "r");
		int c = f ? std::fgetc(f) : '1';
		if (f)
			std::fclose(f);
		if (c == '1')
			break;
		timespec ts{ 0, 100000000 };
		nanosleep(&ts, nullptr);
	}
	timespec ts{ 0, 300000000 };
	nanosleep(&ts, nullptr);
}

uint16_t pick_local_port() { return uint16_t(61000 + random_u32() % (65536 - 61000)); }

uint16_t PortReservation::reserve(uint32_t local_ip)
{
	release();
	for (int draw = 0; draw < 8; draw++) {
		const uint16_t port = pick_local_port();
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		const int one = 1;
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
		sockaddr_in sa{};
		sa.sin_family = AF_INET;
		sa.sin_port = htons(port);
		sa.sin_addr.s_addr = htonl(local_ip);
		if (bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) == 0) {
			fd_ = fd;
			return port;
		}
		const int err = errno;
		close(fd);
		if (err != EADDRINUSE)
			die("bind (local port reservation)");
		in_use_++;
	}
	return 0;
}

void PortReservation::release()
{
	if (fd_ >= 0)
		close(fd_);
	fd_ = -1;
}

namespace {

// A complete entry for ip on iface in /proc/net/arp.
bool arp_lookup(const std::string &iface, uint32_t ip_be, uint8_t mac[6])
{
	FILE *f = std::fopen("/proc/net/arp", "r");
	if (!f)
		return false;
	char line[256], ip[64], hw[64], dev[64];
	unsigned type, flags;
	bool found = false;
	if (!std::fgets(line, sizeof(line), f)) { // header
		std::fclose(f);
		return false;
	}
	while (!found && std::fgets(line, sizeof(line), f)) {
		char mask[64];
		if (std::sscanf(line, "%63s 0x%x 0x%x %63s %63s %63s", ip, &type, &flags, hw, mask, dev) != 6)
			continue;
		in_addr a{};
		if (inet_pton(AF_INET, ip, &a) != 1 || a.s_addr != ip_be || iface != dev || !(flags & 0x2))
			continue;
		unsigned m[6];
		if (std::sscanf(hw, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6) {
			for (int i = 0; i < 6; i++)
				mac[i] = uint8_t(m[i]);
			found = true;
		}
	}
	std::fclose(f);
	return found;
}

} // namespace

RawEndpoints resolve_endpoints(const Options &o)
{
	RawEndpoints ep{};
	ep.ifindex = int(if_nametoindex(o.iface.c_str()));
	if (!ep.ifindex) {
		std::fprintf(stderr, "oe-strategy: --iface %s: no such interface\n", o.iface.c_str());
		std::exit(2);
	}
	uint32_t local_be = 0, remote_be = 0, group_be = 0;
	if (iface_ipv4(o.iface, local_be)) {
		std::fprintf(stderr, "oe-strategy: --iface %s has no IPv4 address\n", o.iface.c_str());
		std::exit(2);
	}
	if (!o.raw_ip.empty()) { // our own address: the kernel's stays for the neighbour probe below
		in_addr a{};
		inet_pton(AF_INET, o.raw_ip.c_str(), &a);
		ep.own_ip = true;
		ep.kernel_ip = ntohl(local_be);
		local_be = a.s_addr;
	}
	if (resolve_ipv4(o.oe_host, remote_be) || resolve_ipv4(o.group, group_be))
		std::exit(2);
	ep.local_ip = ntohl(local_be);
	ep.remote_ip = ntohl(remote_be);
	ep.group = ntohl(group_be);
	ep.remote_port = o.oe_port;
	ep.md_port = o.md_port;

	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	ifreq ifr{};
	std::snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o.iface.c_str());
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		die("SIOCGIFHWADDR");
	std::memcpy(ep.local_mac, ifr.ifr_hwaddr.sa_data, 6);
	// The exchange must be on-link (the lab is one L2 segment). Probe the neighbour with one empty
	// datagram to the discard port if the kernel does not know its MAC yet.
	bool ok = arp_lookup(o.iface, remote_be, ep.remote_mac);
	if (!ok) {
		setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o.iface.c_str(), socklen_t(o.iface.size()));
		sockaddr_in sa{};
		sa.sin_family = AF_INET;
		sa.sin_port = htons(9);
		sa.sin_addr.s_addr = remote_be;
		sendto(fd, "", 0, 0, reinterpret_cast<sockaddr *>(&sa), sizeof(sa));
		for (int i = 0; i < 200 && !(ok = arp_lookup(o.iface, remote_be, ep.remote_mac)); i++) {
			timespec ts{ 0, 10000000 };
			nanosleep(&ts, nullptr);
		}
	}
	close(fd);
	if (!ok) {
		std::fprintf(stderr, "oe-strategy: no neighbour entry for %s on %s (the exchange must be on-link)\n",
			     o.oe_host.c_str(), o.iface.c_str());
		std::exit(1);
	}
	return ep;
}

int join_group_only(const Options &o, const RawEndpoints &ep)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	ip_mreqn mr{};
	mr.imr_multiaddr.s_addr = htonl(ep.group);
	mr.imr_ifindex = ep.ifindex;
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)))
		die("IP_ADD_MEMBERSHIP");
	(void)o;
	return fd;
}

} // namespace us
