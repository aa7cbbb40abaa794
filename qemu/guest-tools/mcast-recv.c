// SPDX-License-Identifier: GPL-2.0
/*
 * mcast-recv GROUP PORT IFADDR TIMEOUT_S [EXPECT]: join GROUP on the interface with IFADDR, print
 * each datagram received on PORT; exit 0 as soon as one contains EXPECT (or any, without EXPECT),
 * 1 on timeout, 2 on bad arguments. A static binary for the guest's smoke scenario.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: mcast-recv GROUP PORT IFADDR TIMEOUT_S [EXPECT]\n");
		return 2;
	}
	struct ip_mreq mreq = { 0 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
	if (!inet_aton(argv[1], &mreq.imr_multiaddr) || !inet_aton(argv[3], &mreq.imr_interface)) {
		fprintf(stderr, "mcast-recv: bad address\n");
		return 2;
	}
	sa.sin_addr = mreq.imr_multiaddr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq))) {
		perror("mcast-recv");
		return 1;
	}
	time_t end = time(NULL) + atoi(argv[4]);
	char buf[2048];
	while (time(NULL) < end) {
		struct timeval tv = { .tv_sec = 1 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = 0;
		printf("mcast-recv: %zd bytes: %s\n", n, buf);
		if (argc < 6 || strstr(buf, argv[5]))
			return 0;
	}
	fprintf(stderr, "mcast-recv: nothing matching within %s s\n", argv[4]);
	return 1;
}
