#include "oe_cxxrt.c"
