// Built only while tcp/include/oe/tcp/client.h is absent: the raw-frame modes (AF_PACKET, AF_XDP)
// speak TCP through oe::tcp::Client and cannot exist without it. Says so instead of pretending.
#include <cstdio>
#include <cstdlib>

#include "core.h"

namespace us {

static std::unique_ptr<Variant> unavailable(const char *mode)
{
	std::fprintf(stderr, "oe-strategy: --mode %s was not built: tcp/include/oe/tcp/client.h was missing "
			     "at build time (rebuild after tcp/ lands)\n", mode);
	std::exit(2);
}

std::unique_ptr<Variant> make_packet(const Options &, Core &) { return unavailable("packet"); }
std::unique_ptr<Variant> make_xdp(const Options &, Core &) { return unavailable("xdp"); }
std::unique_ptr<Variant> make_floor(const Options &, Core &) { return unavailable("floor"); }

} // namespace us
