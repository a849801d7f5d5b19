/*
 * netpair.c - see netpair.h.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "netpair.h"

void netpair_tcp(int *src, int *dst)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &len), 0);
	*src = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(*src, (struct sockaddr *)&sa, sizeof(sa)), 0);
	*dst = accept(l, NULL, NULL);
	assert_true(*dst >= 0);
	close(l);
}
