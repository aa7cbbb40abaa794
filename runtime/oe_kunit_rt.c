// SPDX-License-Identifier: GPL-2.0
/* The runtime linked into oe_kunit.ko: the same file as igb_oe.ko's, compiled for this module, with
 * the allocation fault injection the runtime suite uses (oe_rt_fail_allocs, oe/ktest_abi.h). */
#define OE_RT_FAULT_INJECTION 1
#include "oe_cxxrt.c"
