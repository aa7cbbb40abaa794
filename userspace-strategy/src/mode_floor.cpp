// The floor: xdp/floor.bpf.c answers every MD datagram with an order-sized UDP frame by XDP_TX,
// in the driver's RX poll, before any skb exists. Userspace only opens the kernel TCP session that
// makes the exchange start publishing (its TCP stays with the kernel: the program passes it) and
// waits for the exchange to end the session. The exchange runs with --bounce-port P --bounce-all.
//
// Between RX and TX: driver RX descriptor -> XDP program (parse to the 4th CSV field, rewrite
// headers in place, shrink the tail) -> XDP_TX: the same page is queued on the driver's TX ring.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bpf_prog.h"
#include "raw.h"

namespace us {
namespace {

class Floor : public Variant {
public:
	Floor(const Options &o, Core &core) : o_(o), core_(core), ep_(resolve_endpoints(o)), prog_(o, "floor", o.bpf_obj.c_str())
	{
		join_fd_ = join_group_only(o, ep_);
		oe_lab_cfg c{};
		c.group = htonl(ep_.group);
		c.exch_ip = htonl(ep_.remote_ip);
		c.local_ip = htonl(ep_.local_ip);
		c.md_port = htons(ep_.md_port);
		c.oe_port = htons(ep_.remote_port);
		c.bounce_port = htons(o.bounce_port);
		std::memcpy(c.local_mac, ep_.local_mac, 6);
		prog_.set_cfg(c);
		prog_.attach_xdp(ep_.ifindex, o.xdp_skb);
		wait_carrier(o.iface);
		core.features = std::string("xdp=") + prog_.xdp_mode() + " XDP_TX every MD datagram, 67-byte UDP to bounce port " +
				std::to_string(o.bounce_port);
	}
	~Floor() override
	{
		core_.extra = prog_.stats_json();
		close(join_fd_);
	}

	Outcome session(Core &core) override
	{
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket(TCP)");
		timeval tv{ 1, 0 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		sockaddr_in sa{};
		sa.sin_family = AF_INET;
		sa.sin_port = htons(o_.oe_port);
		sa.sin_addr.s_addr = htonl(ep_.remote_ip);
		if (connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa))) {
			close(fd);
			return run_over(o_) ? Outcome::Stopped : Outcome::ConnectFailed;
		}
		core.counters.connects++;
		logv(o_, "established; XDP_TX floor active");
		const uint64_t md0 = prog_.stat(OE_STAT_MD);
		Outcome r = Outcome::Stopped;
		while (!run_over(o_)) {
			pollfd p{ fd, POLLRDHUP, 0 };
			if (poll(&p, 1, 100) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
				r = Outcome::Disconnected;
				break;
			}
		}
		close(fd);
		// The MD the program bounced in this session (the session loop tells a refusal by none).
		core.counters.md_packets += prog_.stat(OE_STAT_MD) - md0;
		return r;
	}

private:
	const Options &o_;
	Core &core_;
	RawEndpoints ep_;
	BpfProg prog_;
	int join_fd_ = -1;
};

} // namespace

std::unique_ptr<Variant> make_floor(const Options &o, Core &core) { return std::make_unique<Floor>(o, core); }

} // namespace us
