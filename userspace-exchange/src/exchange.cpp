#include "exchange.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sys/signalfd.h>
#include <unistd.h>

#include "event_log.h"
#include "fixed_point.h"
#include "format_packet.h"
#include "md_line.h"

namespace oeex {

volatile std::sig_atomic_t Exchange::stop_requested_ = 0;

namespace {

uint64_t process_cpu_ns()
{
	timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return uint64_t(ts.tv_sec) * 1000000000ULL + uint64_t(ts.tv_nsec);
}

constexpr uint32_t kSessionKeyShift = 24; // TX stamp key = session (8 bits) | trigger id (24 bits)

std::string side_text(uint8_t side)
{
	if (side == 'B' || side == 'S')
		return std::string(1, char(side));
	char hex[8];
	std::snprintf(hex, sizeof hex, "0x%02x", side);
	return hex;
}

} // namespace

const char *to_string(State s)
{
	switch (s) {
	case State::Init: return "INIT";
	case State::Handshake: return "HANDSHAKE";
	case State::Transmit: return "TRANSMIT";
	}
	return "?";
}

Exchange::Exchange(const ExchangeConfig &config)
	: cfg_(config), ring_(1024), oracle_(config.trigger), pacer_(config.pace)
{
	md_ = std::make_unique<MarketDataServer>(ring_, cfg_.md, static_cast<MarketDataServer::Listener &>(*this));
	oe_ = std::make_unique<OrderEntryServer>(ring_, cfg_.oe, static_cast<OrderEntryServer::Listener &>(*this));
	if (cfg_.bounce_port)
		bounce_ = std::make_unique<BounceServer>(ring_, cfg_.oe.bind, cfg_.bounce_port,
							 static_cast<BounceServer::Listener &>(*this));
}

Exchange::~Exchange()
{
	if (signal_fd_ >= 0)
		close(signal_fd_);
}

void Exchange::arm_signal_read()
{
	io_uring_sqe *sqe = ring_.sqe();
	io_uring_prep_read(sqe, signal_fd_, signal_buffer_, sizeof(signalfd_siginfo), 0);
	io_uring_sqe_set_data64(sqe, encode_tag(OpKind::Signal, 0, 0));
}

void Exchange::request_stop()
{
	stop_requested_ = 1;
}

void Exchange::set_state(State next, const char *why)
{
	if (next == state_)
		return;
	emit(event("state").add("from", to_string(state_)).add("to", to_string(next)).add("why", why).add("session",
														 session_.number));
	state_ = next;
}

int Exchange::run()
{
	JsonObject start = event("listening");
	start.add("order_entry", oe_->describe())
		.add("market_data", md_->describe())
		.add("file", cfg_.file)
		.add("io_uring", ring_.describe())
		.add("tx_timestamps", md_->tx_stamping() ? "software (SO_TIMESTAMPING, SCM_TS_OPT_ID)" : "after-send clock")
		.add_raw("trigger", oracle_.describe_json())
		.add("rate", cfg_.pace.rate)
		.add("speed", cfg_.pace.speed)
		.add("burst", cfg_.pace.burst)
		.add("loop", cfg_.loop)
		.add("sessions", cfg_.sessions)
		.add("keepalive_s", uint64_t(cfg_.oe.keepalive_s));
	if (bounce_)
		start.add("bounce_port", uint64_t(bounce_->bound_port())).add("bounce_all", cfg_.bounce_all);
	emit(start);

	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
	signal_fd_ = signalfd(-1, &stop_signals, SFD_CLOEXEC);
	if (signal_fd_ >= 0)
		arm_signal_read();

	for (;;) {
		uint64_t wait_ns = 0;
		bool sleep = true;
		if (stop_requested_) {
			if (!draining(&wait_ns))
				break;
		} else if (state_ != State::Init && (publishing_ || md_->ready())) {
			uint64_t now = monotonic_ns();
			if (now < publish_not_before_ns_) {
				wait_ns = publish_not_before_ns_ - now;
			} else {
				wait_ns = publish_due(now);
				sleep = wait_ns != 0 || !publishing_ || md_->backing_off();
			}
		}
		ring_.run_once(wait_ns, sleep, [this](const io_uring_cqe &cqe) { dispatch(cqe); });
		if (pending_.active && !md_->unsettled())
			finish_report();
	}
	if (state_ != State::Init)
		end_session("shutdown");
	settle_report_at_exit();
	ring_.submit();
	emit(event("exit").add("sessions", sessions_done_));
	return 0;
}

void Exchange::dispatch(const io_uring_cqe &cqe)
{
	OpTag tag = decode_tag(cqe.user_data);
	switch (tag.kind) {
	case OpKind::Accept:
	case OpKind::OeRecv:
	case OpKind::OePoll:
	case OpKind::Close:
	case OpKind::Cancel:
		oe_->on_cqe(tag, cqe);
		break;
	case OpKind::MdSend:
	case OpKind::MdErrPoll:
	case OpKind::MdErrRecv:
	case OpKind::MdWritable:
		md_->on_cqe(tag, cqe);
		break;
	case OpKind::BounceRecv:
		if (bounce_)
			bounce_->on_cqe(tag, cqe);
		break;
	case OpKind::Signal:
		if (cqe.res > 0) {
			signals_++; // a second one cuts a drain short
			request_stop();
		}
		arm_signal_read();
		break;
	}
}

// ---- stop signal ---------------------------------------------------------------------------------

// Orders the client wrote before it saw the session end are still on their way when the stop
// signal comes (the faults scenario counted 206 sent, 201 received at an exchange restart): stop
// publishing, so no new trigger goes out, but read orders until the connection has been quiet for
// drain_quiet_ms with no expected trigger left unanswered (at most drain_max_ms; a second signal, or
// the session ending, cuts it short). The quiet window alone was not enough: a TCG guest that lags
// the feed answered its last trigger after 300 ms of quiet (faults: 57 sent, 56 received).
bool Exchange::draining(uint64_t *wait_ns)
{
	uint64_t now = monotonic_ns();
	if (!drain_.active) {
		if (state_ == State::Init)
			return false;
		drain_ = Drain{};
		drain_.active = true;
		drain_.started_ns = drain_.last_rx_ns = now;
		drain_.session = session_.number;
		drain_.signals_at_start = signals_;
		publishing_ = false;
		if (staged_) {
			md_->release(staged_);
			staged_ = nullptr;
			md_->count_unsent(1);
		}
		emit(event("draining")
			     .add("session", session_.number)
			     .add("state", to_string(state_))
			     .add("md_published", md_->counters().published)
			     .add("quiet_ms", cfg_.drain_quiet_ms)
			     .add("max_ms", cfg_.drain_max_ms));
	}
	const uint64_t quiet_end = drain_.last_rx_ns + cfg_.drain_quiet_ms * 1000000ULL;
	const uint64_t hard_end = drain_.started_ns + cfg_.drain_max_ms * 1000000ULL;
	const size_t open = reconciler_.open_triggers();
	const char *why = nullptr;
	if (state_ == State::Init)
		why = "session ended";
	else if (signals_ > drain_.signals_at_start)
		why = "second signal";
	else if (now >= hard_end)
		why = "time limit";
	else if (now >= quiet_end && !open)
		why = "quiet";
	if (!why) {
		// an order that arrives wakes the loop; with triggers open only the time limit is due
		*wait_ns = (open ? hard_end : std::min(quiet_end, hard_end)) - now;
		return true;
	}
	drain_.active = false;
	emit(event("drained")
		     .add("session", drain_.session)
		     .add("ms", (now - drain_.started_ns) / 1000000)
		     .add("orders", drain_.orders)
		     .add("bytes", drain_.bytes)
		     .add("open_triggers", uint64_t(open))
		     .add("why", why));
	return false;
}

// ---- sessions -------------------------------------------------------------------------------------

bool Exchange::on_connect(const std::string &peer)
{
	if (state_ != State::Init || stop_requested_)
		return false;
	finish_report(); // before the counters start again: sends still in flight are in_flight_at_report
	session_ = SessionStats{};
	session_.number = sessions_done_ + 1;
	session_.peer = peer;
	session_.started_ns = realtime_ns();
	session_.cpu_start_ns = process_cpu_ns();
	reconciler_.reset();
	reconciler_.set_max_age_ns(cfg_.max_order_age_ns);
	reassembler_.reset();
	oracle_.reset();
	md_->reset_counters();
	publishing_ = true;
	file_opened_ = false;
	staged_ = nullptr;
	publish_not_before_ns_ = monotonic_ns() + cfg_.start_delay_ms * 1000000ULL;
	emit(event("connected").add("session", session_.number).add("peer", peer));
	set_state(State::Handshake, "order-entry connection accepted");
	return true;
}

void Exchange::on_refused(const std::string &peer)
{
	emit(event("refused")
		     .add("peer", peer)
		     .add("state", to_string(state_))
		     .add("session", session_.number)
		     .add("reason", stop_requested_ ? "shutting down" : "one order-entry connection at a time"));
}

void Exchange::on_disconnect(DisconnectReason why, int err)
{
	std::string reason = to_string(why);
	if (err)
		reason += std::string(": ") + std::strerror(err);
	end_session(reason);
}

void Exchange::end_session(const std::string &reason)
{
	if (state_ == State::Init)
		return;
	publishing_ = false;
	if (staged_) {
		md_->release(staged_);
		staged_ = nullptr;
		md_->count_unsent(1);
	}
	md_->discard_unsent();
	reader_.close();
	oe_->close_connection();
	if (reassembler_.pending_bytes()) {
		reconciler_.on_truncated();
		emit(event("order")
			     .add("session", session_.number)
			     .add("state", to_string(state_))
			     .add("status", "truncated")
			     .add("bytes", uint64_t(reassembler_.pending_bytes()))
			     .add("expected_bytes", uint64_t(kOrderSize)));
		reassembler_.reset();
	}
	session_.ended_ns = realtime_ns();
	session_.cpu_end_ns = process_cpu_ns();
	session_.end_reason = reason;
	session_.state_at_end = state_;
	// Sends in flight now (at most one batch) still go out: the report waits for their completions,
	// which come through the ring after this returns (end_session runs inside the CQE loop).
	pending_.session = session_;
	pending_.result = reconciler_.finish();
	pending_.active = true;
	if (!md_->unsettled())
		finish_report();
	set_state(State::Init, reason.c_str());
	sessions_done_++;
	if (cfg_.sessions && sessions_done_ >= cfg_.sessions)
		request_stop();
}

// ---- publishing -----------------------------------------------------------------------------------

uint64_t Exchange::publish_due(uint64_t now)
{
	if (md_->backing_off())
		return 0; // the socket's POLLOUT completion wakes us
	if (!publishing_) {
		md_->flush(); // after EOF: only retries of datagrams a full buffer bounced are left
		return 0;
	}
	md_->flush(); // retries first, in order
	if (!md_->can_queue())
		return 0;
	uint32_t budget = pacer_.allowance(now);
	if (!budget)
		return pacer_.rate_wait_ns();
	uint32_t sent = 0;
	uint64_t wait = 0;
	while (sent < budget && publishing_) {
		if (!staged_ && !stage_next_line())
			break;
		if (!staged_)
			break;
		uint64_t replay_wait = 0;
		if (!pacer_.due(staged_->seq, now, &replay_wait)) {
			wait = replay_wait;
			break;
		}
		send_staged();
		sent++;
	}
	pacer_.consume(sent);
	if (sent) {
		if (!session_.first_send_ns)
			session_.first_send_ns = now;
		session_.last_send_ns = now;
	}
	md_->flush();
	if (!publishing_ || state_ == State::Init)
		return 0;
	if (!wait && sent == budget)
		wait = pacer_.rate_wait_ns();
	return wait;
}

bool Exchange::stage_next_line()
{
	if (!file_opened_) {
		file_opened_ = true;
		if (!reader_.open(cfg_.file)) {
			session_.file_error = reader_.error();
			emit(event("md_error").add("session", session_.number).add("error", reader_.error()));
			end_session("md_file_error");
			return false;
		}
		pacer_.start(monotonic_ns());
	}
	MarketDataServer::Slot *slot = md_->acquire();
	if (!slot)
		return false;
	for (;;) {
		std::string_view line;
		auto status = reader_.next(line);
		if (status == GzipLineReader::Status::Error) {
			md_->release(slot);
			session_.file_error = reader_.error();
			emit(event("md_error")
				     .add("session", session_.number)
				     .add("error", reader_.error())
				     .add("line", uint64_t(reader_.line_number())));
			end_session("md_file_error");
			return false;
		}
		if (status == GzipLineReader::Status::Eof) {
			if (cfg_.loop && session_.lines_read) {
				session_.loops++;
				emit(event("md_loop").add("session", session_.number).add("loops", session_.loops));
				if (reader_.open(cfg_.file)) {
					pacer_.start(monotonic_ns());
					continue;
				}
				session_.file_error = reader_.error();
				md_->release(slot);
				end_session("md_file_error");
				return false;
			}
			md_->release(slot);
			session_.eof = true;
			publishing_ = false;
			reader_.close();
			emit(event("md_eof")
				     .add("session", session_.number)
				     .add("published", md_->counters().published)
				     .add("bad_lines", session_.bad_lines));
			if (state_ == State::Handshake)
				set_state(State::Transmit, "end of file during snapshot");
			return false;
		}
		session_.lines_read++;
		ParsedLine parsed = parse_md_line(line);
		if (parsed.kind == LineKind::Header || parsed.kind == LineKind::Blank)
			continue;
		size_t len = 0;
		if (parsed.kind == LineKind::Row)
			len = formatPacket(line, std::span<char>(slot->payload, kMaxPayload));
		if (!len) {
			session_.bad_lines++;
			if (session_.bad_lines <= cfg_.bad_line_log_limit)
				emit(event("bad_line")
					     .add("session", session_.number)
					     .add("line", uint64_t(reader_.line_number()))
					     .add("error", parsed.error ? parsed.error : "formatPacket refused the line")
					     .add("text", line.substr(0, 200)));
			continue;
		}
		slot->len = uint32_t(len);
		slot->seq = parsed.row.local_timestamp_us;
		slot->trigger_id = -1;
		staged_ = slot;
		staged_snapshot_ = parsed.row.is_snapshot;
		return true;
	}
}

void Exchange::send_staged()
{
	MarketDataServer::Slot *slot = staged_;
	staged_ = nullptr;
	if (state_ == State::Handshake && !staged_snapshot_)
		set_state(State::Transmit, "first incremental row");
	if (staged_snapshot_)
		session_.snapshot_published++;
	auto expected = oracle_.on_payload(std::string_view(slot->payload, slot->len));
	int64_t key = -1;
	// --bounce-all: every incremental row expects a bounce; snapshot rows never do (nothing can be
	// traded on them and the exchange takes no orders before TRANSMIT).
	if (expected || (cfg_.bounce_all && !staged_snapshot_)) {
		Order order = expected ? expected->order : Order{};
		uint64_t seq = expected ? expected->seq : slot->seq;
		size_t id = reconciler_.add_trigger(seq, order);
		slot->trigger_id = int64_t(id);
		if (id < (1u << kSessionKeyShift))
			key = int64_t((uint64_t(session_.number & 0xff) << kSessionKeyShift) | id);
	}
	md_->queue(slot, key);
}

void Exchange::on_sent(const MarketDataServer::Slot &slot, uint64_t after_send_ns)
{
	if (slot.trigger_id >= 0 && state_ != State::Init)
		reconciler_.set_tx_time(size_t(slot.trigger_id), after_send_ns, TxStampSource::AfterSend);
}

void Exchange::on_tx_stamp(uint32_t key, uint64_t stamp_ns)
{
	if (state_ == State::Init || (key >> kSessionKeyShift) != (session_.number & 0xff))
		return; // a stamp from an earlier session
	reconciler_.set_tx_time(key & ((1u << kSessionKeyShift) - 1), stamp_ns, TxStampSource::Software);
}

void Exchange::on_send_error(const MarketDataServer::Slot &slot, int err)
{
	if (md_->counters().send_errors <= 10)
		emit(event("md_send_error")
			     .add("session", session_.number)
			     .add("seq", slot.seq)
			     .add("error", std::strerror(err)));
}

// ---- orders -------------------------------------------------------------------------------------

void Exchange::on_data(const uint8_t *bytes, size_t len, uint64_t rx_ns, bool kernel_stamp)
{
	session_.order_bytes += len;
	if (drain_.active) {
		drain_.last_rx_ns = monotonic_ns();
		drain_.bytes += len;
	}
	reassembler_.feed(std::span<const uint8_t>(bytes, len),
			  [&](const Order &o) { handle_order(o, rx_ns, kernel_stamp); });
}

void Exchange::handle_order(const Order &order, uint64_t rx_ns, bool kernel_stamp)
{
	session_.orders_received++;
	if (drain_.active)
		drain_.orders++;
	(kernel_stamp ? session_.rx_kernel_stamps : session_.rx_user_stamps)++;
	JsonObject line = event("order", rx_ns);
	line.add("session", session_.number).add("state", to_string(state_));
	bool accept = state_ == State::Transmit;
	line.add("status", accept ? "accepted" : "rejected")
		.add("side", side_text(order.side))
		.add("price", format_fixed(order.price))
		.add("qty", order.quantity)
		.add("price_e8", order.price)
		.add("rx_stamp", kernel_stamp ? "kernel" : "user");
	if (!accept) {
		reconciler_.on_rejected();
		line.add("reason", "orders are accepted only in TRANSMIT");
		emit(line);
		return;
	}
	session_.orders_accepted++;
	Reconciler::Outcome m = reconciler_.on_order(order, rx_ns);
	line.add("match", m.matched ? "matched" : "unexpected");
	if (m.matched)
		line.add("seq", m.seq).add("overtaken", m.overtaken);
	emit(line);
}

void Exchange::on_bounce(uint64_t seq, size_t len, uint64_t rx_ns, bool kernel_stamp)
{
	session_.bounces++;
	if (drain_.active) {
		drain_.last_rx_ns = monotonic_ns();
		drain_.orders++;
	}
	(kernel_stamp ? session_.rx_kernel_stamps : session_.rx_user_stamps)++;
	JsonObject line = event("bounce", rx_ns);
	line.add("session", session_.number).add("state", to_string(state_)).add("seq", seq).add("bytes", uint64_t(len));
	if (state_ != State::Transmit) {
		if (state_ != State::Init)
			reconciler_.on_rejected();
		line.add("status", "rejected");
		emit(line);
		return;
	}
	Reconciler::Outcome m = reconciler_.on_bounce(seq, rx_ns);
	line.add("status", "accepted").add("match", m.matched ? "matched" : "unexpected");
	if (m.matched)
		line.add("overtaken", m.overtaken);
	emit(line);
}

void Exchange::on_bounce_drops(uint32_t total)
{
	uint32_t fresh = total - bounce_drops_seen_; // wraps correctly
	bounce_drops_seen_ = total;
	if (fresh && state_ != State::Init)
		session_.bounces_dropped += fresh;
}

void Exchange::on_bounce_malformed(size_t len)
{
	session_.bounces_malformed++;
	emit(event("bounce").add("session", session_.number).add("status", "malformed").add("bytes", uint64_t(len)));
}

} // namespace oeex
