/*
 * migrate_report.c - a migration's numbers (migrate.h's stats): a table
 * on stderr when the source is done, and the same rows as CSV for
 * gnuplot (bench/migrate.gp plots pages per round).
 *
 * CSV: comment lines ("# ...") say which machine and KVM backend the
 * numbers come from and sum the run up; then one header line and a row
 * per round:
 *
 *   round,phase,pages,bytes,ms,dirty_mib_s
 *
 * phase is round0, dirty or stop; dirty_mib_s is the rate the guest
 * dirtied memory at during the round before (0 for round 0).
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "migrate_cli.h"
#include "minivmm/minivmm.h"

static const char *phase_word(unsigned phase)
{
	static const char *const w[] = {"round0", "dirty", "stop", "devices"};

	_Static_assert(sizeof(w) / sizeof(w[0]) == MVM_MIG_PHASES,
		       "one word per phase");
	return phase < MVM_MIG_PHASES ? w[phase] : "?";
}

static const char *stop_reason(enum mvm_migrate_stop s)
{
	return s == MVM_MIG_CONVERGED	  ? "converged"
	       : s == MVM_MIG_NO_PROGRESS ? "no progress"
					  : "round limit";
}

/* "model name" of the first CPU, from /proc/cpuinfo. */
static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown CPU");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(buf, len, "%s", strchr(line, ':') + 2);
			buf[strcspn(buf, "\n")] = 0;
			break;
		}
	if (f)
		fclose(f);
}

static void write_csv(const struct mvm_migrate_stats *st,
		      const struct mvm_migrate_params *p, const char *path)
{
	struct mvm_backend be;
	struct utsname u;
	char cpu[128];
	FILE *f = fopen(path, "w");

	if (!f) {
		cli_error("mvm run", "cannot write --migrate-csv '%s'", path);
		return;
	}
	mvm_backend_detect(&be);
	cpu_model(cpu, sizeof(cpu));
	uname(&u);
	fprintf(f,
		"# minivmm live migration, %s %s, %ld CPUs (%s), KVM "
		"backend %s\n",
		u.sysname, u.release, sysconf(_SC_NPROCESSORS_ONLN), cpu,
		be.name);
	fprintf(f, "# downtime budget %u ms, round limit %u, bandwidth cap ",
		p->downtime_ms ? p->downtime_ms : 20,
		p->max_rounds ? p->max_rounds : 30);
	if (p->bandwidth)
		fprintf(f, "%u MiB/s\n", p->bandwidth);
	else
		fprintf(f, "none\n");
	fprintf(f,
		"# total_ms %.2f downtime_ms %.2f pages %llu bytes %llu "
		"stop %s\n",
		st->total_ns / 1e6, st->downtime_ns / 1e6,
		(unsigned long long)st->pages, (unsigned long long)st->bytes,
		stop_reason(st->stop));
	fprintf(f, "round,phase,pages,bytes,ms,dirty_mib_s\n");
	for (int i = 0; i < st->nrounds; i++) {
		const struct mvm_migrate_round *r = &st->round[i];

		fprintf(f, "%d,%s,%llu,%llu,%.3f,%.1f\n", i,
			phase_word(r->phase), (unsigned long long)r->pages,
			(unsigned long long)r->bytes, r->ns / 1e6,
			r->dirty_rate);
	}
	if (fclose(f) != 0)
		cli_error("mvm run", "writing --migrate-csv '%s' failed", path);
}

void migcli_report(const struct mvm_migrate_stats *st,
		   const struct mvm_migrate_params *p, const char *csv)
{
	fprintf(stderr,
		"mvm run: migrated: %d rounds (%s), %llu pages, "
		"%.1f MiB, total %.1f ms, downtime %.2f ms\n",
		st->nrounds, stop_reason(st->stop),
		(unsigned long long)st->pages, st->bytes / 1048576.0,
		st->total_ns / 1e6, st->downtime_ns / 1e6);
	fprintf(stderr, "  round  phase    pages      bytes       ms  "
			"dirty MiB/s\n");
	for (int i = 0; i < st->nrounds; i++) {
		const struct mvm_migrate_round *r = &st->round[i];

		fprintf(stderr, "  %5d  %-6s %7llu %10llu %8.2f %12.1f\n", i,
			phase_word(r->phase), (unsigned long long)r->pages,
			(unsigned long long)r->bytes, r->ns / 1e6,
			r->dirty_rate);
	}
	if (csv)
		write_csv(st, p, csv);
}
