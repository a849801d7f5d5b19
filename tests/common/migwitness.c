/*
 * migwitness.c - the counter guest's sum and a loopback pair for the
 * tests of live migration (migwitness.h).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "migwitness.h"

uint64_t migwitness_sum(uint64_t iters, unsigned window, unsigned per_iter)
{
	static uint64_t region[8192]; /* one word per page, as the guest */
	uint64_t sum = 0, cursor = 0;

	memset(region, 0, sizeof(region));
	for (uint64_t n = 1; n <= iters; n++)
		for (unsigned k = 0; k < per_iter; k++) {
			uint64_t *w = &region[cursor++ % window];
			uint64_t v = n * 0x9e3779b97f4a7c15ull + k;

			sum += v - *w;
			*w = v;
		}
	return sum;
}

int migwitness_tcp_pair(int *src, int *dst)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM, 0), rc = 0;

	*src = *dst = -1;
	if (l < 0)
		return -errno;
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &len) < 0 ||
	    (*src = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(*src, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (*dst = accept(l, NULL, NULL)) < 0) {
		rc = -errno;
		if (*src >= 0)
			close(*src);
		*src = *dst = -1;
	}
	close(l);
	return rc;
}
