#include "reconciler.h"

#include <algorithm>

namespace oeex {

LatencySummary summarize_latencies(std::vector<uint64_t> &samples)
{
	LatencySummary s;
	if (samples.empty())
		return s;
	std::sort(samples.begin(), samples.end());
	auto rank = [&](unsigned per_mille) {
		// nearest rank: the smallest sample with at least per_mille/1000 of samples at or below it
		size_t n = samples.size();
		size_t r = (n * per_mille + 999) / 1000;
		return samples[r ? r - 1 : 0];
	};
	s.count = samples.size();
	s.min = samples.front();
	s.max = samples.back();
	s.p50 = rank(500);
	s.p90 = rank(900);
	s.p99 = rank(990);
	s.p999 = rank(999);
	long double total = 0;
	for (uint64_t v : samples)
		total += v;
	s.mean = double(total / samples.size());
	return s;
}

void Reconciler::reset()
{
	*this = Reconciler{};
}

size_t Reconciler::add_trigger(uint64_t seq, const Order &expected)
{
	triggers_.push_back(Trigger{seq, expected});
	return triggers_.size() - 1;
}

void Reconciler::set_tx_time(size_t id, uint64_t ns, TxStampSource source)
{
	if (id >= triggers_.size())
		return;
	Trigger &t = triggers_[id];
	if (source >= t.tx_source) {
		t.tx_ns = ns;
		t.tx_source = source;
	}
}

void Reconciler::note_missed(const Trigger &t)
{
	missed_++;
	if (missed_examples_.size() < kMaxReportExamples)
		missed_examples_.push_back({t.seq, t.order});
}

Reconciler::Outcome Reconciler::close_up_to(size_t index, uint64_t rx_ns)
{
	Outcome out;
	out.matched = true;
	out.overtaken = index - next_open_;
	for (size_t i = next_open_; i < index; i++)
		note_missed(triggers_[i]);
	Trigger &t = triggers_[index];
	t.matched = true;
	t.rx_ns = rx_ns;
	out.seq = t.seq;
	matched_++;
	next_open_ = index + 1;
	return out;
}

Reconciler::Outcome Reconciler::on_order(const Order &order, uint64_t rx_ns)
{
	for (size_t i = next_open_; i < triggers_.size(); i++)
		if (triggers_[i].order == order)
			return close_up_to(i, rx_ns);
	unexpected_++;
	if (unexpected_examples_.size() < kMaxReportExamples)
		unexpected_examples_.push_back({0, order});
	return Outcome{};
}

Reconciler::Outcome Reconciler::on_bounce(uint64_t seq, uint64_t rx_ns)
{
	for (size_t i = next_open_; i < triggers_.size(); i++)
		if (triggers_[i].seq == seq)
			return close_up_to(i, rx_ns);
	unexpected_++;
	if (unexpected_examples_.size() < kMaxReportExamples)
		unexpected_examples_.push_back({seq, Order{}});
	return Outcome{};
}

ReconcileResult Reconciler::finish()
{
	for (size_t i = next_open_; i < triggers_.size(); i++)
		note_missed(triggers_[i]);
	next_open_ = triggers_.size();

	ReconcileResult r;
	std::vector<uint64_t> samples;
	samples.reserve(matched_);
	for (const Trigger &t : triggers_) {
		if (t.tx_source == TxStampSource::Software)
			r.tx_software++;
		else if (t.tx_source == TxStampSource::AfterSend)
			r.tx_after_send++;
		else
			r.tx_missing++;
		if (!t.matched || t.tx_source == TxStampSource::None) {
			r.per_trigger.push_back({t.seq, -1});
			continue;
		}
		if (t.rx_ns < t.tx_ns) {
			r.clock_anomalies++;
			samples.push_back(0);
		} else {
			samples.push_back(t.rx_ns - t.tx_ns);
			if (max_age_ns_ && t.rx_ns - t.tx_ns > max_age_ns_)
				r.late++;
		}
		r.per_trigger.push_back({t.seq, int64_t(samples.back())});
	}
	r.expected = triggers_.size();
	r.matched = matched_;
	r.missed = missed_;
	r.unexpected = unexpected_;
	r.rejected = rejected_;
	r.truncated = truncated_;
	r.samples_ns = samples;
	r.tick_to_trade = summarize_latencies(samples);
	r.missed_examples = missed_examples_;
	r.unexpected_examples = unexpected_examples_;
	return r;
}

} // namespace oeex
