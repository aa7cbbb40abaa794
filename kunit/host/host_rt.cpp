// The host's side of the runtime boundary (abi.h): setup-time memory from the C library.
#include <cstdlib>
#include "oe/abi.h"

extern "C" void *oe_rt_alloc(unsigned long size) { return std::calloc(1, size); }
extern "C" void oe_rt_free(void *p) { std::free(p); }
