// Runs the exchange binary (path from $OEEX_EXCHANGE) as a child process with stdout captured to a
// file, and reads its JSON-lines event log — the system tests observe it exactly as a script would.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace oeex::testing {

std::string env_or(const char *name, const std::string &fallback);
std::string temp_dir(); // $OEEX_TMP (created), unique per process

class ChildProcess {
public:
	~ChildProcess();
	bool start(const std::string &binary, const std::vector<std::string> &args, const std::string &stdout_path);
	// Exit status (0..255), 128+signal, or -1 on timeout.
	int wait_exit(int timeout_ms);
	int stop(int timeout_ms = 5000); // SIGTERM then wait; SIGKILL on timeout
	bool running();
	std::string output() const; // everything written to stdout so far
	pid_t pid() const { return pid_; }

private:
	pid_t pid_ = -1;
	int status_ = -1;
	std::string stdout_path_;
};

class ExchangeProcess : public ChildProcess {
public:
	// Starts $OEEX_EXCHANGE with args; waits for the "listening" event.
	bool launch(const std::vector<std::string> &args, const std::string &name);
	std::vector<std::string> events(const std::string &event) const;
	// The nth (1-based) line of that event containing `contains`, waiting up to timeout_ms.
	std::optional<std::string> wait_event(const std::string &event, int timeout_ms, const std::string &contains = "",
					      size_t nth = 1) const;
};

// Tiny JSON accessors for flat lookups in the exchange's own output (keys are unique per object).
std::optional<int64_t> json_int(const std::string &json, const std::string &key);
std::optional<std::string> json_str(const std::string &json, const std::string &key);
// The text of the object value of "key":{...}.
std::string json_object(const std::string &json, const std::string &key);

} // namespace oeex::testing
