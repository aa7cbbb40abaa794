// SPDX-License-Identifier: GPL-2.0
/* The user's defaults for struct oe_config (abi.h). Module parameters / CLI flags override them. */
#include "oe/abi.h"
#include "oe/base.h"

extern "C" void oe_config_defaults(struct oe_config *cfg)
{
	oe::fill(cfg, 0, sizeof(*cfg));
	cfg->md_group_be = oe::bswap32(0xefff0001u); /* 239.255.0.1 */
	cfg->md_port_be = oe::bswap16(12345);
	/* symbol empty: the first symbol seen is adopted */
	cfg->book_capacity = 1024;
	cfg->levels = 5;
	cfg->size_threshold = 50000000ll * 100000000ll;  /* 50,000,000 units, fixed-point 1e-8 */
	cfg->notional_threshold = 1000000ll * 100000000ll; /* $1,000,000, fixed-point 1e-8 */
	cfg->mode = OE_TRIGGER_SIZE;
	cfg->order_qty = 1;
	cfg->max_orders_per_sec = 1000;
	cfg->remote_ip_be = oe::bswap32(0x7f000001u); /* 127.0.0.1:9012, the exchange's order entry */
	cfg->local_ip_be = oe::bswap32(0x7f000001u);
	cfg->remote_port_be = oe::bswap16(9012);
	cfg->tos = 0;
	cfg->ttl = 64;
	cfg->mss = 1460;
	cfg->order_ttl_us = OE_ORDER_TTL_DEFAULT_US;
	cfg->order_stale_us = OE_ORDER_STALE_DEFAULT_US;
}
