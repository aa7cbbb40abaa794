/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel APIs our glue uses that older supported kernels lack, provided here under the name and
 * the semantics of the newest one, so oe_*.c is written once against the current API. Only what
 * the glue itself needs; upstream igb's own differences are handled by the per-version patch
 * series (driver/igb/patches/X.Y/, docs/driver.md). Supported: 6.1 and 6.12.
 */
#ifndef OE_COMPAT_H
#define OE_COMPAT_H

#include <linux/ethtool.h>
#include <linux/string.h>
#include <linux/version.h>

/* get_unaligned_be16() & co.: <linux/unaligned.h> since 6.12, <asm/unaligned.h> before */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
/* 6.8 (net/ethtool/ioctl.c): copy one ETH_GSTRING_LEN stats name and advance */
static inline void ethtool_puts(u8 **data, const char *str)
{
	strscpy(*data, str, ETH_GSTRING_LEN);
	*data += ETH_GSTRING_LEN;
}
#endif

#endif /* OE_COMPAT_H */
