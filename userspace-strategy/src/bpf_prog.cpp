#include "bpf_prog.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core.h"

namespace us {

std::string default_bpf_path(const char *name)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	std::string dir = ".";
	if (n > 0) {
		exe[n] = 0;
		dir = exe;
		dir.erase(dir.rfind('/'));
	}
	return dir + "/xdp/" + name + ".bpf.o";
}

namespace {
bool g_verbose = false;
// libbpf's own messages: warnings always, the chatty rest with -v. The kernel's "Exclusivity flag
// on" when the clsact qdisc already exists is expected (we reuse it) and not worth a line.
int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || (level == LIBBPF_INFO && !g_verbose))
		return 0;
	static char buf[1 << 20]; // verifier logs arrive as one message
	int n = std::vsnprintf(buf, sizeof(buf), fmt, ap);
	if (std::strstr(buf, "Exclusivity flag on"))
		return 0;
	std::fputs(buf, stderr);
	return n;
}
} // namespace

BpfProg::BpfProg(const Options &o, const char *name, const char *override_path)
{
	std::string path = override_path && *override_path ? override_path : default_bpf_path(name);
	g_verbose = o.verbose;
	libbpf_set_print(libbpf_log);
	// Our own log buffer: libbpf's default one truncates the verifier's story before its verdict.
	static char vlog[4 << 20];
	vlog[0] = 0;
	bpf_object_open_opts oo{};
	oo.sz = sizeof(oo);
	oo.kernel_log_buf = vlog;
	oo.kernel_log_size = sizeof(vlog);
	oo.kernel_log_level = 1;
	obj_ = bpf_object__open_file(path.c_str(), &oo);
	if (!obj_ || libbpf_get_error(obj_)) {
		std::fprintf(stderr, "oe-strategy: cannot open BPF object %s\n", path.c_str());
		std::exit(1);
	}
	if (bpf_object__load(obj_)) {
		size_t n = std::strlen(vlog);
		std::fprintf(stderr, "oe-strategy: verifier log (tail):\n%s\n", vlog + (n > 4000 ? n - 4000 : 0));
		std::fprintf(stderr, "oe-strategy: loading %s failed\n", path.c_str());
		std::exit(1);
	}
	bpf_program *p = bpf_object__next_program(obj_, nullptr);
	prog_fd_ = p ? bpf_program__fd(p) : -1;
	if (prog_fd_ < 0) {
		std::fprintf(stderr, "oe-strategy: %s has no program\n", path.c_str());
		std::exit(1);
	}
}

BpfProg::~BpfProg()
{
	if (xdp_attached_)
		bpf_xdp_detach(ifindex_, xdp_flags_, nullptr);
	if (tc_attached_) {
		bpf_tc_hook hook{};
		hook.sz = sizeof(hook);
		hook.ifindex = ifindex_;
		hook.attach_point = BPF_TC_INGRESS;
		bpf_tc_hook_destroy(&hook); // removes the clsact qdisc we created, and our filter with it
	}
	bpf_object__close(obj_);
}

int BpfProg::map_fd(const char *map) const
{
	bpf_map *m = bpf_object__find_map_by_name(obj_, map);
	return m ? bpf_map__fd(m) : -1;
}

void BpfProg::set_cfg(const oe_lab_cfg &c)
{
	uint32_t key = 0;
	if (bpf_map_update_elem(map_fd("cfg"), &key, &c, BPF_ANY))
		die("bpf cfg update");
}

void BpfProg::attach_xdp(int ifindex, bool skb)
{
	ifindex_ = ifindex;
	xdp_flags_ = (skb ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE) | XDP_FLAGS_UPDATE_IF_NOEXIST;
	int rc = bpf_xdp_attach(ifindex, prog_fd_, xdp_flags_, nullptr);
	if (rc) {
		std::fprintf(stderr, "oe-strategy: attaching XDP (%s mode) failed: %s%s\n", skb ? "generic" : "native",
			     std::strerror(-rc), skb ? "" : " (try --xdp-skb if the driver has no native XDP)");
		std::exit(1);
	}
	xdp_attached_ = true;
	xdp_flags_ &= ~XDP_FLAGS_UPDATE_IF_NOEXIST;
	xdp_mode_ = skb ? "generic(SKB)" : "native(DRV)";
}

void BpfProg::attach_tc_ingress(int ifindex)
{
	ifindex_ = ifindex;
	bpf_tc_hook hook{};
	hook.sz = sizeof(hook);
	hook.ifindex = ifindex;
	hook.attach_point = BPF_TC_INGRESS;
	int rc = bpf_tc_hook_create(&hook);
	if (rc && rc != -EEXIST) {
		std::fprintf(stderr, "oe-strategy: creating the clsact qdisc failed: %s%s\n", std::strerror(-rc),
			     rc == -EOPNOTSUPP || rc == -ENOENT || rc == -EINVAL
				     ? " (the kernel needs CONFIG_NET_SCH_INGRESS and CONFIG_NET_CLS_BPF)" : "");
		std::exit(1);
	}
	bpf_tc_opts opts{};
	opts.sz = sizeof(opts);
	opts.prog_fd = prog_fd_;
	rc = bpf_tc_attach(&hook, &opts);
	if (rc) {
		std::fprintf(stderr, "oe-strategy: attaching the tc ingress program failed: %s (needs CONFIG_NET_CLS_BPF)\n",
			     std::strerror(-rc));
		std::exit(1);
	}
	tc_attached_ = true;
}

uint64_t BpfProg::stat(unsigned i) const
{
	int n = libbpf_num_possible_cpus();
	if (n <= 0)
		return 0;
	std::vector<uint64_t> v(size_t(n), 0);
	if (bpf_map_lookup_elem(map_fd("stats"), &i, v.data()))
		return 0;
	uint64_t s = 0;
	for (uint64_t x : v)
		s += x;
	return s;
}

std::string BpfProg::stats_json() const
{
	static const char *const names[OE_STAT_COUNT] = { "bpf_md", "bpf_oe", "bpf_pass", "bpf_redirect_fail", "bpf_bad_seq",
							      "bpf_snapshot_not_bounced" };
	std::string s;
	char buf[96];
	for (unsigned i = 0; i < OE_STAT_COUNT; i++) {
		std::snprintf(buf, sizeof(buf), ",\"%s\":%llu", names[i], (unsigned long long)stat(i));
		s += buf;
	}
	return s;
}

} // namespace us
