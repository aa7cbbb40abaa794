// exchange: the lab's counterparty and stopwatch (see exchange.h, docs/exchange.md).
#include <csignal>
#include <cstdio>
#include <exception>
#include <sys/prctl.h>
#include <unistd.h>

#include "exchange.h"
#include "exchange_options.h"
#include "gzip_lines.h"

using namespace oeex;

static void on_signal(int)
{
	Exchange::request_stop();
}

int main(int argc, char **argv)
{
	ExchangeConfig config = parse_exchange_options(argc, argv);
	if (access(config.file.c_str(), R_OK) != 0) {
		std::fprintf(stderr, "exchange: cannot read market-data file '%s'\n", config.file.c_str());
		return 2;
	}
	// Until the exchange's signalfd takes SIGINT/SIGTERM over (Exchange::run), a signal during setup
	// just stops it; no SA_RESTART, so a wait in progress returns EINTR.
	struct sigaction sa {};
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	signal(SIGPIPE, SIG_IGN);
	// The pacer sleeps for tens of microseconds at a time; the default 50 us timer slack would
	// stretch every such sleep and pull the real rate well below --rate.
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	try {
		Exchange exchange(config);
		return exchange.run();
	} catch (const std::exception &e) {
		std::fprintf(stderr, "exchange: %s\n", e.what());
		return 1;
	}
}
