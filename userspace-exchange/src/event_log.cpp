#include "event_log.h"

#include <cstdio>
#include <ctime>

namespace oeex {

uint64_t realtime_ns()
{
	timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return uint64_t(ts.tv_sec) * 1000000000ULL + uint64_t(ts.tv_nsec);
}

uint64_t monotonic_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1000000000ULL + uint64_t(ts.tv_nsec);
}

std::string iso8601_utc(uint64_t ns)
{
	time_t secs = time_t(ns / 1000000000ULL);
	tm utc{};
	gmtime_r(&secs, &utc);
	char text[48];
	size_t n = strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
	std::snprintf(text + n, sizeof text - n, ".%09lluZ", (unsigned long long)(ns % 1000000000ULL));
	return text;
}

JsonObject event(const char *name, uint64_t when_ns)
{
	if (!when_ns)
		when_ns = realtime_ns();
	JsonObject o;
	o.add("event", name).add("time", iso8601_utc(when_ns)).add("time_ns", when_ns);
	return o;
}

void emit(const JsonObject &line)
{
	std::string text = line.str();
	text.push_back('\n');
	std::fwrite(text.data(), 1, text.size(), stdout);
	std::fflush(stdout);
}

} // namespace oeex
