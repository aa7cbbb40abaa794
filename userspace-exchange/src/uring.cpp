#include "uring.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace oeex {

Uring::Uring(unsigned entries)
{
	// Prefer the single-threaded fast paths (the exchange has exactly one issuing thread); fall back
	// flag by flag on older kernels. params.features tells us what the kernel actually provides.
	const unsigned attempts[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_CQSIZE,
		IORING_SETUP_CQSIZE,
	};
	int err = -EINVAL;
	for (unsigned flags : attempts) {
		io_uring_params params{};
		params.flags = flags;
		params.cq_entries = entries * 4;
		err = io_uring_queue_init_params(entries, &ring_, &params);
		if (err == 0) {
			setup_flags_ = flags;
			features_ = params.features;
			break;
		}
	}
	if (err)
		throw std::runtime_error(std::string("io_uring_queue_init: ") + std::strerror(-err));
	if (!(features_ & IORING_FEAT_EXT_ARG)) {
		io_uring_queue_exit(&ring_);
		throw std::runtime_error("io_uring lacks IORING_FEAT_EXT_ARG (kernel >= 5.11 needed)");
	}
}

Uring::~Uring()
{
	io_uring_queue_exit(&ring_);
}

io_uring_sqe *Uring::sqe()
{
	io_uring_sqe *s = io_uring_get_sqe(&ring_);
	while (!s) {
		io_uring_submit(&ring_);
		s = io_uring_get_sqe(&ring_);
	}
	return s;
}

void Uring::submit()
{
	io_uring_submit(&ring_);
}

void Uring::submit_and_wait(uint64_t timeout_ns, bool wait)
{
	if (!wait) {
		// Publish-bound: flush and reap what is there without sleeping.
		io_uring_submit_and_get_events(&ring_);
		return;
	}
	io_uring_cqe *cqe = nullptr;
	if (timeout_ns) {
		__kernel_timespec ts{};
		ts.tv_sec = int64_t(timeout_ns / 1000000000ULL);
		ts.tv_nsec = int64_t(timeout_ns % 1000000000ULL);
		io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
	} else {
		io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, nullptr, nullptr);
	}
}

bool Uring::register_file(int fd)
{
	return io_uring_register_files(&ring_, &fd, 1) == 0;
}

std::string Uring::describe() const
{
	std::string s;
	auto add = [&](bool on, const char *name) {
		if (on) {
			if (!s.empty())
				s += ' ';
			s += name;
		}
	};
	add(setup_flags_ & IORING_SETUP_SINGLE_ISSUER, "SINGLE_ISSUER");
	add(setup_flags_ & IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN");
	add(setup_flags_ & IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN");
	add(features_ & IORING_FEAT_NODROP, "FEAT_NODROP");
	add(features_ & IORING_FEAT_FAST_POLL, "FEAT_FAST_POLL");
	add(features_ & IORING_FEAT_EXT_ARG, "FEAT_EXT_ARG");
	add(features_ & IORING_FEAT_SUBMIT_STABLE, "FEAT_SUBMIT_STABLE");
	return s;
}

} // namespace oeex
