#include "session_report.h"

#include <cstdio>

#include "event_log.h"
#include "fixed_point.h"

namespace oeex {

namespace {

std::string examples_json(const std::vector<ReconcileResult::Item> &items, bool with_seq)
{
	std::string out = "[";
	for (const auto &it : items) {
		if (out.size() > 1)
			out += ',';
		JsonObject o;
		if (with_seq)
			o.add("seq", it.seq);
		std::string side = it.order.side == 'B' || it.order.side == 'S' ? std::string(1, char(it.order.side)) : "";
		o.add("side", side).add("price", format_fixed(it.order.price)).add("qty", it.order.quantity);
		out += o.str();
	}
	return out + "]";
}

// [[seq, tick_to_trade_ns or null], ...] for every expected trigger, in publish order
std::string per_trigger_json(const std::vector<ReconcileResult::TriggerOutcome> &v)
{
	std::string out = "[";
	for (size_t i = 0; i < v.size(); i++) {
		if (i)
			out += ',';
		out += '[' + std::to_string(v[i].seq) + ',' +
		       (v[i].tick_to_trade_ns < 0 ? std::string("null") : std::to_string(v[i].tick_to_trade_ns)) + ']';
	}
	return out + "]";
}

} // namespace

// Every matched trigger's tick-to-trade, in publish order, so reports can draw the distribution.
static std::string samples_json(const std::vector<uint64_t> &samples)
{
	std::string out = "[";
	for (size_t i = 0; i < samples.size(); i++) {
		if (i)
			out += ',';
		out += std::to_string(samples[i]);
	}
	return out + "]";
}

std::string build_session_report(const SessionStats &s, const MdCounters &md, const ReconcileResult &r,
				 const ExchangeConfig &cfg, const TriggerOracle &oracle, bool tx_stamping)
{
	JsonObject md_json;
	md_json.add("published", md.published)
		.add("snapshot_published", s.snapshot_published)
		.add("bytes", md.bytes)
		.add("lines_read", s.lines_read)
		.add("bad_lines", s.bad_lines)
		.add("would_block", md.would_block)
		.add("send_errors", md.send_errors)
		.add("unsent_at_stop", md.unsent_at_stop)
		.add("in_flight_at_end", md.in_flight_at_end)
		.add("in_flight_at_report", md.in_flight_at_report)
		.add("reordered", md.reordered)
		.add("eof", s.eof)
		.add("loops", s.loops);
	// publishing throughput over the span that was actually publishing, and CPU per message over the
	// whole session (includes order handling and idle wake-ups, so it is an upper bound)
	double span_s = s.last_send_ns > s.first_send_ns ? double(s.last_send_ns - s.first_send_ns) / 1e9 : 0;
	md_json.add("publish_seconds", span_s)
		.add("msgs_per_s", span_s > 0 && md.published > 1 ? double(md.published - 1) / span_s : 0.0)
		.add("cpu_seconds", double(s.cpu_end_ns - s.cpu_start_ns) / 1e9)
		.add("cpu_ns_per_msg", md.published ? double(s.cpu_end_ns - s.cpu_start_ns) / double(md.published) : 0.0);
	if (s.file_error.empty())
		md_json.add_null("file_error");
	else
		md_json.add("file_error", s.file_error);

	JsonObject orders;
	orders.add("received", s.orders_received)
		.add("accepted", s.orders_accepted)
		.add("rejected", r.rejected)
		.add("truncated", r.truncated)
		.add("matched", r.matched)
		.add("unexpected", r.unexpected)
		.add("late", r.late)
		.add("max_age_us", cfg.max_order_age_ns / 1000)
		.add("bytes", s.order_bytes)
		.add("bounces", s.bounces)
		.add("bounces_malformed", s.bounces_malformed)
		.add("bounces_dropped", s.bounces_dropped);

	JsonObject triggers;
	triggers.add("expected", r.expected)
		.add("matched", r.matched)
		.add("missed", r.missed)
		.add("engine_fired_without_order", oracle.triggers_without_order());

	const LatencySummary &l = r.tick_to_trade;
	JsonObject t2t;
	t2t.add("count", l.count)
		.add("min", l.min)
		.add("p50", l.p50)
		.add("p90", l.p90)
		.add("p99", l.p99)
		.add("p99_9", l.p999)
		.add("max", l.max)
		.add("mean", l.mean);

	JsonObject stamps;
	stamps.add("tx_method", tx_stamping ? "software" : "after_send")
		.add("tx_software", r.tx_software)
		.add("tx_after_send", r.tx_after_send)
		.add("tx_missing", r.tx_missing)
		.add("rx_kernel", s.rx_kernel_stamps)
		.add("rx_user", s.rx_user_stamps)
		.add("clock_anomalies", r.clock_anomalies);

	JsonObject pace;
	pace.add("rate", cfg.pace.rate).add("speed", cfg.pace.speed).add("burst", cfg.pace.burst);

	double duration = s.ended_ns > s.started_ns ? double(s.ended_ns - s.started_ns) / 1e9 : 0;
	bool clean = r.missed == 0 && r.unexpected == 0 && r.late == 0 && r.rejected == 0 && r.truncated == 0 &&
		     md.send_errors == 0 &&
		     s.bounces_dropped == 0 && s.file_error.empty();
	JsonObject report;
	report.add("schema", "oeex-session-report/1")
		.add("session", s.number)
		.add("peer", s.peer)
		.add("file", cfg.file)
		.add("started", iso8601_utc(s.started_ns))
		.add("ended", iso8601_utc(s.ended_ns))
		.add("duration_s", duration)
		.add("end_reason", s.end_reason)
		.add("state_at_end", to_string(s.state_at_end))
		.add("bounce_mode", cfg.bounce_port != 0)
		.add("reconciled", clean)
		.add_raw("md", md_json.str())
		.add_raw("orders", orders.str())
		.add_raw("triggers", triggers.str())
		.add_raw("tick_to_trade_ns", t2t.str())
		.add_raw("tick_to_trade_samples_ns", samples_json(r.samples_ns))
		.add_raw("triggers_by_seq", per_trigger_json(r.per_trigger))
		.add_raw("timestamps", stamps.str())
		.add_raw("trigger_config", oracle.describe_json())
		.add_raw("pace", pace.str())
		.add_raw("missed_examples", examples_json(r.missed_examples, true))
		.add_raw("unexpected_examples", examples_json(r.unexpected_examples, cfg.bounce_port != 0));
	return report.str();
}

} // namespace oeex
