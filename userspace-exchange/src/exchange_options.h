// Command line of the exchange binary. Bad flags print a clear message and exit 2.
#pragma once
#include "exchange.h"

namespace oeex {

ExchangeConfig parse_exchange_options(int argc, char **argv);

} // namespace oeex
