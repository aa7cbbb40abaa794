// Loading and attaching the lab's BPF objects (xdp/*.bpf.o) with plain libbpf: open, write the
// config record, attach (XDP native/generic or tc ingress), read the counters, detach on exit.
#pragma once
#include <linux/types.h>

#include <cstdint>
#include <string>

#include "../xdp/lab.h"
#include "options.h"

struct bpf_object;

namespace us {

class BpfProg {
public:
	// name: "steer", "floor" or "tcdrop"; the object is --bpf-obj or <exe dir>/xdp/<name>.bpf.o.
	BpfProg(const Options &o, const char *name, const char *override_path);
	~BpfProg();
	BpfProg(const BpfProg &) = delete;
	BpfProg &operator=(const BpfProg &) = delete;

	void set_cfg(const oe_lab_cfg &c);       // key 0 of map "cfg"
	void attach_xdp(int ifindex, bool skb);   // exits 1 with the reason on failure
	void attach_tc_ingress(int ifindex);
	int map_fd(const char *map) const;
	uint64_t stat(unsigned i) const;          // summed over CPUs
	std::string stats_json() const;
	const char *xdp_mode() const { return xdp_mode_; }

private:
	bpf_object *obj_ = nullptr;
	int prog_fd_ = -1, ifindex_ = 0;
	bool xdp_attached_ = false, tc_attached_ = false;
	unsigned xdp_flags_ = 0;
	const char *xdp_mode_ = "none";
};

std::string default_bpf_path(const char *name);

} // namespace us
