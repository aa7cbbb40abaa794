#include "test_process.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_net.h"

namespace oeex::testing {

std::string env_or(const char *name, const std::string &fallback)
{
	const char *v = std::getenv(name);
	return v && *v ? v : fallback;
}

std::string temp_dir()
{
	std::string dir = env_or("OEEX_TMP", "/tmp/oeex-test") + "/" + std::to_string(getpid());
	std::string cmd = "mkdir -p '" + dir + "'";
	if (std::system(cmd.c_str()) != 0)
		return "/tmp";
	return dir;
}

ChildProcess::~ChildProcess()
{
	if (pid_ > 0 && status_ < 0)
		stop(2000);
}

bool ChildProcess::start(const std::string &binary, const std::vector<std::string> &args, const std::string &stdout_path)
{
	stdout_path_ = stdout_path;
	// a run before this one (--gtest_repeat) left its log here: never read it as this child's
	unlink(stdout_path.c_str());
	pid_ = fork();
	if (pid_ < 0)
		return false;
	if (pid_ == 0) {
		// a test binary that dies (an ASan abort) must not leave exchanges running in the netns
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int out = open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(out, 1);
		int err = open((stdout_path + ".stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(err, 2);
		std::vector<char *> argv;
		argv.push_back(const_cast<char *>(binary.c_str()));
		for (auto &a : args)
			argv.push_back(const_cast<char *>(a.c_str()));
		argv.push_back(nullptr);
		execv(binary.c_str(), argv.data());
		_exit(127);
	}
	status_ = -1;
	return true;
}

bool ChildProcess::running()
{
	if (pid_ <= 0 || status_ >= 0)
		return false;
	int st;
	pid_t r = waitpid(pid_, &st, WNOHANG);
	if (r == pid_) {
		status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		return false;
	}
	return true;
}

int ChildProcess::wait_exit(int timeout_ms)
{
	uint64_t deadline = now_ms() + uint64_t(timeout_ms);
	while (running()) {
		if (now_ms() > deadline)
			return -1;
		usleep(5000);
	}
	return status_;
}

int ChildProcess::stop(int timeout_ms)
{
	if (!running())
		return status_;
	kill(pid_, SIGTERM);
	int st = wait_exit(timeout_ms);
	if (st < 0) {
		kill(pid_, SIGKILL);
		st = wait_exit(2000);
	}
	return st;
}

std::string ChildProcess::output() const
{
	std::ifstream in(stdout_path_);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

bool ExchangeProcess::launch(const std::vector<std::string> &args, const std::string &name)
{
	std::string binary = env_or("OEEX_EXCHANGE", "build/host/userspace-exchange/exchange");
	if (!start(binary, args, temp_dir() + "/" + name + ".out"))
		return false;
	return wait_event("listening", 5000).has_value();
}

std::vector<std::string> ExchangeProcess::events(const std::string &event) const
{
	std::vector<std::string> out;
	std::string text = output();
	// only whole lines: the exchange may be half-way through writing the last one
	text.resize(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
	std::istringstream in(text);
	std::string line;
	std::string tag = "{\"event\":\"" + event + "\"";
	while (std::getline(in, line))
		if (line.rfind(tag, 0) == 0)
			out.push_back(line);
	return out;
}

std::optional<std::string> ExchangeProcess::wait_event(const std::string &event, int timeout_ms,
						       const std::string &contains, size_t nth) const
{
	uint64_t deadline = now_ms() + uint64_t(timeout_ms);
	for (;;) {
		size_t seen = 0;
		for (auto &line : events(event))
			if (contains.empty() || line.find(contains) != std::string::npos)
				if (++seen == nth)
					return line;
		if (now_ms() > deadline)
			return std::nullopt;
		usleep(5000);
	}
}

std::optional<int64_t> json_int(const std::string &json, const std::string &key)
{
	std::string k = "\"" + key + "\":";
	size_t p = json.find(k);
	if (p == std::string::npos)
		return std::nullopt;
	const char *start = json.c_str() + p + k.size();
	char *end = nullptr;
	long long v = std::strtoll(start, &end, 10);
	if (end == start)
		return std::nullopt;
	return v;
}

std::optional<std::string> json_str(const std::string &json, const std::string &key)
{
	std::string k = "\"" + key + "\":\"";
	size_t p = json.find(k);
	if (p == std::string::npos)
		return std::nullopt;
	size_t start = p + k.size();
	size_t end = json.find('"', start);
	return json.substr(start, end - start);
}

std::string json_object(const std::string &json, const std::string &key)
{
	std::string k = "\"" + key + "\":{";
	size_t p = json.find(k);
	if (p == std::string::npos)
		return "";
	size_t start = p + k.size() - 1;
	int depth = 0;
	for (size_t i = start; i < json.size(); i++) {
		if (json[i] == '{')
			depth++;
		else if (json[i] == '}' && --depth == 0)
			return json.substr(start, i - start + 1);
	}
	return "";
}

} // namespace oeex::testing
