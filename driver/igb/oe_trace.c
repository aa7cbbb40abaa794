// SPDX-License-Identifier: GPL-2.0
/* igb_oe: instantiate the tracepoints declared in oe_trace.h. */
#define CREATE_TRACE_POINTS
#include "oe_trace.h"
