/*
 * migrate_target.c - `mvm restore --listen [HOST:]PORT`: the target of a
 * live migration (migrate.h). It listens, says where on stderr (with
 * PORT 0, the port the kernel chose), accepts one source, and receives
 * the machine; `mvm restore` then runs it with mvm run's own loop, as it
 * runs a machine restored from a file.
 *
 * The source sends all the time once connected, so a silence of
 * RECV_TIMEOUT_S means it hung: the target gives up rather than wait
 * for ever (SO_RCVTIMEO, socket(7)).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "migrate_cli.h"
#include "minivmm/minivmm.h"

#define RECV_TIMEOUT_S 30

static int listen_on(const char *cmd, const char *host, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	inet_pton(AF_INET, host, &sa.sin_addr);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		int rc = -errno;

		cli_error(cmd, "cannot listen on %s:%d: %s", host, port,
			  strerror(-rc));
		close(fd);
		return rc;
	}
	fprintf(stderr, "%s: waiting for a migration on %s:%d\n", cmd, host,
		ntohs(sa.sin_port));
	return fd;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

int migcli_receive(const char *cmd, const char *listen,
		   const struct mvm_machine_config *base,
		   struct mvm_machine **m)
{
	struct timeval tv = {.tv_sec = RECV_TIMEOUT_S};
	struct timespec t0;
	char host[64];
	unsigned rounds = 0;
	int port, lfd, fd, rc;

	if (migcli_parse_addr(listen, host, sizeof(host), &port) < 0) {
		cli_error(cmd,
			  "bad --listen '%s': use [HOST:]PORT (HOST an "
			  "IPv4 address, PORT 0-65535)",
			  listen);
		return -EINVAL;
	}
	lfd = listen_on(cmd, host, port);
	if (lfd < 0)
		return lfd;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	rc = fd < 0 ? -errno : 0;
	close(lfd);
	if (rc) {
		cli_error(cmd, "accept: %s", strerror(-rc));
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = mvm_migrate_receive(fd, base, m, &rounds);
	close(fd);
	if (rc) {
		cli_error(cmd, "migration failed: %s; no guest to run",
			  strerror(-rc));
		return rc;
	}
	fprintf(stderr,
		"%s: received the machine in %u rounds (%.1f ms); "
		"resuming\n",
		cmd, rounds, ms_since(&t0));
	return 0;
}
