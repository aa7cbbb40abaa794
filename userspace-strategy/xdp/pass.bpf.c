// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper for veth: XDP_TX / XDP_REDIRECT out of a veth queue frames on the peer's XDP ring,
 * which is only drained when the peer runs NAPI with an XDP program. tests/run.sh attaches this
 * no-op to the exchange-side veth so the floor's bounced frames reach the exchange.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int oe_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
