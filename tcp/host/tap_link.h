// The wire between the client and the Linux stack on the host: a TAP device inside the test's network
// namespace, with optional impairment (loss, duplication, reordering, delay) in both directions. The
// impairment is applied here because sch_netem may be unavailable (no modules in the lab kernel); when
// netem is available the interop script uses it on the tap as well.
#pragma once
#include <cstdint>
#include <queue>
#include <random>
#include <string>
#include <vector>

namespace oe::tcp::host {

struct Impairment {
	unsigned loss_pct = 0;    // drop
	unsigned dup_pct = 0;     // deliver twice
	unsigned reorder_pct = 0; // hold back by reorder_ms (later frames overtake it)
	unsigned delay_ms = 0;    // every frame
	unsigned reorder_ms = 3;
	bool any() const { return loss_pct || dup_pct || reorder_pct || delay_ms; }
};

// "loss=5,dup=1,reorder=5,delay=10": false (and err) on a bad spec.
bool parse_impairment(const std::string &spec, Impairment &out, std::string &err);

class TapLink {
public:
	~TapLink();
	bool open(const std::string &ifname, std::string &err);
	// MAC address of the Linux side of the tap (the "neighbour" the driver glue would resolve).
	bool linux_mac(uint8_t mac[6], std::string &err) const;
	void impair(const Impairment &outbound, const Impairment &inbound, uint32_t seed);

	void send(const uint8_t *frame, uint16_t len, uint64_t now);      // client -> Linux
	// Wait up to timeout_ns for a frame from Linux (after inbound impairment). true: frame in buf.
	bool receive(std::vector<uint8_t> &buf, uint64_t now, uint64_t timeout_ns);
	uint64_t frames_out() const { return out_; }
	uint64_t frames_in() const { return in_; }
	uint64_t dropped() const { return dropped_; }
	uint64_t duplicated() const { return duplicated_; }

private:
	struct Held {
		uint64_t due;
		uint64_t order;
		std::vector<uint8_t> frame;
		bool operator>(const Held &o) const { return due != o.due ? due > o.due : order > o.order; }
	};
	using Queue = std::priority_queue<Held, std::vector<Held>, std::greater<Held>>;
	void enqueue(Queue &q, const Impairment &im, const uint8_t *f, uint16_t len, uint64_t now);
	void write_frame(const std::vector<uint8_t> &f);
	void flush_out(uint64_t now);

	int fd_ = -1;
	std::string ifname_;
	Impairment out_im_, in_im_;
	std::mt19937 rng_{ 1 };
	Queue out_q_, in_q_;
	uint64_t order_ = 0, out_ = 0, in_ = 0, dropped_ = 0, duplicated_ = 0;
};

} // namespace oe::tcp::host
