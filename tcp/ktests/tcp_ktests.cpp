// SPDX-License-Identifier: GPL-2.0
/*
 * The tcp test suites (tcp_wire, tcp_state, tcp_data, tcp_recovery, tcp_timers, tcp_hostile, tcp_orders,
 * tcp_contract, tcp_isn), run by oe_kunit.ko under KUnit and
 * by build/host/tcp/tcp-tests under GoogleTest.
 *
 * One translation unit on purpose: the kernel builds with -fpatchable-function-entry, and GCC 12 records
 * every function of an object in a single __patchable_function_entries section; when the same template
 * instantiation (here Client<ScriptPort, RecordK>) is emitted by two objects of one module, the linker
 * discards one COMDAT copy and the module link fails ("defined in discarded section").
 */
#include "oe/ktest.h"
#include "script_port.h"

using namespace oe;
using namespace oe::tcp;
using namespace oe::tcp::test;

#include "wire_cases.h"
#include "state_cases.h"
#include "data_cases.h"
#include "recovery_cases.h"
#include "timer_cases.h"
#include "hostile_cases.h"
#include "contract_cases.h"
#include "order_cases.h"
#include "isn_cases.h"
