// The session report (schema in docs/protocol.md): written as JSON at every session end, to stdout
// (inside the "session_end" event) and to --report PATH.
#pragma once
#include <string>

#include "exchange.h"

namespace oeex {

std::string build_session_report(const SessionStats &session, const MdCounters &md, const ReconcileResult &result,
				 const ExchangeConfig &config, const TriggerOracle &oracle, bool tx_stamping);

} // namespace oeex
