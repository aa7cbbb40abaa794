// SPDX-License-Identifier: GPL-2.0
/* The runtime linked into oe_kunit.ko: the same file as igb_oe.ko's, compiled for this module. */
#include "oe_cxxrt.c"
