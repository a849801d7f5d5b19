/*
 * bench_migrate.c - what a live migration costs (migrate.h): total time
 * and downtime for an idle guest and for guests dirtying memory at
 * 1, 10 and 100 MiB/s, source and target in this process over TCP on
 * the loopback.
 *
 * The guest is examples/migrate-counter.elf: level 0 for the idle one
 * (it spins, writing only its counter and stack), level 5 for the
 * others: one page of its 32 MiB region per iteration at ring 3, paced
 * by a thread here that raises the guest's grant (a word in its scratch
 * page) every millisecond at the rate asked. The pacer stops before the
 * stop-and-copy, as any thread that writes guest memory must. Each row
 * also says the rate the migration measured (pages new to the dirty log
 * per second, averaged over the rounds after round 0): a backend that
 * write-protects pages to log them slows a fast writer down, and the
 * row shows it.
 *
 * Each run: the guest runs WARM_MS, then the migration starts with the
 * default budget (20 ms) and round limit; median of ROUNDS runs.
 * Figures, not pass/fail.
 *
 *   make bench     or   build/bench/bench_migrate
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "minivmm/minivmm.h"

#define ROUNDS	3
#define WARM_MS 300
#define GUEST	MVM_GUEST_DIR "/migrate-counter.elf"

static double ms_of(uint64_t ns)
{
	return (double)ns / 1e6;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

struct run {
	atomic_int stop;	 /* ends the source's stepping */
	struct mvm_vcpu *vcpu;	 /* kicked to see it */
	struct mvm_migrate *mg;	 /* the live rounds' migration */
	int live_rc, recv_rc;	 /* the two threads' results */
	int fd;			 /* the target's end */
	struct mvm_machine *dst; /* what it received */
	unsigned wait_ms;	 /* warm-up thread: how long */
	struct mvm_vm *vm;	 /* the source's, for the pacer */
	unsigned mibs;		 /* pace: MiB/s, 0: none */
	atomic_int pacing;	 /* the pacer runs */
};

/* Grant the guest iterations (pages) at r->mibs until told to stop. */
static void *pace_main(void *arg)
{
	struct run *r = arg;
	uint64_t t0 = now_ns();

	while (atomic_load(&r->pacing)) {
		uint64_t grant = 1 + (uint64_t)((double)(now_ns() - t0) / 1e9 *
						r->mibs * 256.0);

		mvm_vm_write(r->vm, MVM_SCRATCH_ADDR + 24, &grant, 8);
		usleep(1000);
	}
	return NULL;
}

static void *warm_main(void *arg)
{
	struct run *r = arg;

	usleep(r->wait_ms * 1000);
	atomic_store(&r->stop, 1);
	mvm_vcpu_kick(r->vcpu);
	return NULL;
}

static void *live_main(void *arg)
{
	struct run *r = arg;

	r->live_rc = mvm_migrate_live(r->mg);
	atomic_store(&r->stop, 1);
	mvm_vcpu_kick(r->vcpu);
	return NULL;
}

static void *recv_main(void *arg)
{
	struct run *r = arg;

	r->recv_rc = mvm_migrate_receive(r->fd, NULL, &r->dst, NULL);
	return NULL;
}

/* Step the source until r->stop; 0, or -1 if the guest ended. */
static int step_until(struct mvm_machine *m, struct run *r)
{
	enum mvm_verdict v = MVM_GO_ON;
	struct mvm_exit e;

	while (!atomic_load(&r->stop))
		if (mvm_machine_step(m, 0, &e, &v) < 0 ||
		    (v != MVM_GO_ON && v != MVM_SYNC))
			return -1;
	atomic_store(&r->stop, 0);
	return 0;
}

static int tcp_pair(int *a, int *b)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(l, 1) || getsockname(l, (struct sockaddr *)&sa, &len))
		return -1;
	*a = socket(AF_INET, SOCK_STREAM, 0);
	if (*a < 0 || connect(*a, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	*b = accept(l, NULL, NULL);
	close(l);
	return *b < 0 ? -1 : 0;
}

/* One migration of a guest at level (input), paced at mibs. */
static int once(const char *input, unsigned mibs, struct mvm_migrate_stats *st)
{
	struct mvm_machine_config cfg = {.mode = MVM_MODE_AUTO, .image = GUEST};
	struct run r = {.wait_ms = WARM_MS, .mibs = mibs};
	struct mvm_machine *m = NULL;
	pthread_t warm, live, recv, pace;
	int sfd = -1, rc = mvm_machine_create(&cfg, &m);

	if (rc)
		return rc;
	r.vcpu = mvm_machine_vcpu(m, 0);
	r.vm = mvm_machine_vm(m);
	mvm_uart_input(mvm_machine_devices(m)->uart, input, 2);
	atomic_store(&r.pacing, mibs != 0);
	if (mibs)
		pthread_create(&pace, NULL, pace_main, &r);
	pthread_create(&warm, NULL, warm_main, &r);
	rc = step_until(m, &r);
	pthread_join(warm, NULL);
	if (!rc)
		rc = tcp_pair(&sfd, &r.fd);
	if (!rc)
		rc = mvm_migrate_create(m, sfd, NULL, &r.mg);
	if (!rc) {
		pthread_create(&recv, NULL, recv_main, &r);
		pthread_create(&live, NULL, live_main, &r);
		rc = step_until(m, &r);
		pthread_join(live, NULL);
		if (mibs) { /* nothing writes guest RAM from here on */
			atomic_store(&r.pacing, 0);
			pthread_join(pace, NULL);
		}
		if (!rc && !r.live_rc)
			rc = mvm_migrate_finish(r.mg);
		*st = *mvm_migrate_stats(r.mg);
		mvm_migrate_destroy(r.mg);
		close(sfd);
		pthread_join(recv, NULL);
		close(r.fd);
		rc = rc ? rc : r.live_rc ? r.live_rc : r.recv_rc;
	}
	if (atomic_load(&r.pacing)) {
		atomic_store(&r.pacing, 0);
		pthread_join(pace, NULL);
	}
	mvm_machine_destroy(r.dst);
	mvm_machine_destroy(m);
	return rc;
}

static int by_downtime(const void *a, const void *b)
{
	const struct mvm_migrate_stats *x = a, *y = b;

	return (x->downtime_ns > y->downtime_ns) -
	       (x->downtime_ns < y->downtime_ns);
}

/* The dirty rate the rounds after round 0 found, averaged, MiB/s. */
static double dirtied(const struct mvm_migrate_stats *st)
{
	double sum = 0;
	int n = 0;

	for (int i = 1; i < st->nrounds; i++)
		sum += st->round[i].dirty_rate, n++;
	return n ? sum / n : 0;
}

int main(void)
{
	static const struct {
		const char *name, *input;
		unsigned mibs; /* 0: idle */
	} rows[] = {{"idle", "05", 0},
		    {"1 MiB/s", "59", 1},
		    {"10 MiB/s", "59", 10},
		    {"100 MiB/s", "59", 100}};

	printf("live migration over loopback TCP, 64 MiB guest, ms (median "
	       "of %d by downtime)\n",
	       ROUNDS);
	printf("guest        downtime    total  rounds   pages  dirtied "
	       "MiB/s  stop\n");
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mvm_migrate_stats st[ROUNDS];

		for (int k = 0; k < ROUNDS; k++) {
			int rc = once(rows[i].input, rows[i].mibs, &st[k]);

			if (rc) {
				fprintf(stderr, "bench_migrate: %s: %s\n",
					rows[i].name, strerror(-rc));
				return 1;
			}
		}
		qsort(st, ROUNDS, sizeof(st[0]), by_downtime);
		printf("%-10s %9.2f %8.1f %7d %7llu %13.1f  %s\n", rows[i].name,
		       ms_of(st[1].downtime_ns), ms_of(st[1].total_ns),
		       st[1].nrounds, (unsigned long long)st[1].pages,
		       dirtied(&st[1]),
		       st[1].stop == MVM_MIG_CONVERGED	   ? "converged"
		       : st[1].stop == MVM_MIG_NO_PROGRESS ? "no progress"
							   : "round limit");
	}
	return 0;
}
