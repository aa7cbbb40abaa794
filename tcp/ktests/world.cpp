// SPDX-License-Identifier: GPL-2.0
/* Static home of the test world: zero-initialised storage, built by placement new per case. */
#include "script_port.h"

namespace oe::tcp::test {

alignas(64) static u8 g_world_mem[sizeof(World)];

World &fresh_world()
{
	World *w = new (g_world_mem) World();
	w->c.init(test_config());
	return *w;
}

} // namespace oe::tcp::test
