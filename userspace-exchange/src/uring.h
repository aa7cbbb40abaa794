// Thin io_uring wrapper: one ring per exchange, all socket I/O goes through it. Operations carry a
// tag (kind, generation, index) in user_data so completions for a connection that has since been
// closed are recognised as stale and ignored.
#pragma once
#include <cstdint>
#include <string>

#include <liburing.h>

namespace oeex {

enum class OpKind : uint8_t {
	Accept = 1,
	OeRecv,
	OePoll,
	Close,
	Cancel,
	MdSend,
	MdErrPoll,
	MdErrRecv,
	MdWritable,
	Signal,
	BounceRecv,
};

struct OpTag {
	OpKind kind;
	uint32_t generation; // 24 bits used
	uint32_t index;
};

inline uint64_t encode_tag(OpKind kind, uint32_t generation, uint32_t index)
{
	return uint64_t(kind) << 56 | uint64_t(generation & 0xffffff) << 32 | index;
}

inline OpTag decode_tag(uint64_t data)
{
	return OpTag{OpKind(data >> 56), uint32_t(data >> 32) & 0xffffff, uint32_t(data)};
}

class Uring {
public:
	// Throws std::runtime_error when io_uring is unavailable.
	explicit Uring(unsigned entries);
	~Uring();
	Uring(const Uring &) = delete;
	Uring &operator=(const Uring &) = delete;

	// A free SQE; submits queued SQEs first if the submission queue is full.
	io_uring_sqe *sqe();
	void submit();

	// Submit everything queued, wait for at least one completion or until timeout_ns passes
	// (0 = wait without timeout), then hand each completion to on_cqe. Returns completions seen.
	template <class OnCqe> unsigned run_once(uint64_t timeout_ns, bool wait, OnCqe &&on_cqe)
	{
		submit_and_wait(timeout_ns, wait);
		unsigned seen = 0;
		io_uring_cqe *cqe;
		unsigned head;
		io_uring_for_each_cqe(&ring_, head, cqe)
		{
			on_cqe(*cqe);
			seen++;
		}
		io_uring_cq_advance(&ring_, seen);
		return seen;
	}

	// Register fd as fixed file 0 (one per ring); false if the kernel refuses (then use the fd).
	bool register_file(int fd);

	// Setup flags accepted by the kernel and the features it reports, for the startup log.
	std::string describe() const;

private:
	void submit_and_wait(uint64_t timeout_ns, bool wait);

	io_uring ring_{};
	unsigned setup_flags_ = 0;
	unsigned features_ = 0;
};

} // namespace oeex
