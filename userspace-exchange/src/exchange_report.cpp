// Exchange: delivering an ended session's report (the session_end event and the report file).
//
// md.published must be what went out on the socket. A session can end (inside the CQE loop) while
// a batch of MD sends is still in flight; those datagrams still go out, and their completions only
// come through the ring afterwards. So end_session keeps the session's figures in pending_, and the
// report is built once MarketDataServer has no send of that session in flight any more: right away
// when there is none, else after the run_once that brought the last completion. A new session
// finishes it first (what is still in flight then is reported as md.in_flight_at_report); so does
// the exit, after at most kExitSettleNs of running the ring.
#include "exchange.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "event_log.h"
#include "session_report.h"

namespace oeex {

namespace {

constexpr uint64_t kExitSettleNs = 100000000; // 100 ms: a batch's sends complete in far less

} // namespace

void Exchange::finish_report()
{
	if (!pending_.active)
		return;
	pending_.active = false;
	MdCounters md = md_->counters();
	md.in_flight_at_report = md_->unsettled();
	const SessionStats &s = pending_.session;
	std::string report = build_session_report(s, md, pending_.result, cfg_, oracle_, md_->tx_stamping());
	emit(event("session_end").add("session", s.number).add("reason", s.end_reason).add_raw("report", report));
	write_report(report);
}

void Exchange::settle_report_at_exit()
{
	const uint64_t deadline = monotonic_ns() + kExitSettleNs;
	for (uint64_t now = monotonic_ns(); pending_.active && md_->unsettled() && now < deadline; now = monotonic_ns())
		ring_.run_once(deadline - now, true, [this](const io_uring_cqe &cqe) { dispatch(cqe); });
	finish_report();
}

void Exchange::write_report(const std::string &json)
{
	if (cfg_.report_path.empty())
		return;
	// Write then rename: a script polling the file never reads half a report.
	std::string tmp = cfg_.report_path + ".tmp";
	{
		std::ofstream out(tmp, std::ios::trunc);
		out << json << '\n';
		if (!out) {
			emit(event("report_error").add("path", cfg_.report_path).add("error", std::strerror(errno)));
			return;
		}
	}
	if (std::rename(tmp.c_str(), cfg_.report_path.c_str()) != 0)
		emit(event("report_error").add("path", cfg_.report_path).add("error", std::strerror(errno)));
}

} // namespace oeex
