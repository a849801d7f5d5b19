/*
 * migrate_cli.h - live migration from the command line (migrate.h):
 * the source's options of `mvm run`, the hooks its run loop calls, and
 * the target's `mvm restore --listen` (migrate_cli.c and
 * migrate_target.c explain the design).
 *
 *   mvm restore --listen 7000                          (target)
 *   mvm run --migrate-to 127.0.0.1:7000 guest.elf      (source)
 */
#ifndef MVM_MIGRATE_CLI_H
#define MVM_MIGRATE_CLI_H

#include <stdio.h>

#include "minivmm/migrate.h"

struct console;
struct mvm_machine;
struct mvm_machine_config;

/* getopt_long() codes of the source's options (no short forms). */
#define MIGCLI_OPT_TO	    0x1201 /* --migrate-to HOST:PORT */
#define MIGCLI_OPT_AFTER    0x1202 /* --migrate-after SEC */
#define MIGCLI_OPT_ROUNDS   0x1203 /* --migrate-rounds N */
#define MIGCLI_OPT_DOWNTIME 0x1204 /* --migrate-downtime MS */
#define MIGCLI_OPT_CSV	    0x1205 /* --migrate-csv FILE */
#define MIGCLI_OPT_LISTEN   0x1206 /* --listen [HOST:]PORT (restore) */

#define MIGCLI_OPT_BW 0x1207 /* --migrate-bandwidth MIBS */

#define MIGCLI_IS_OPT(c)                                    \
	(((c) >= MIGCLI_OPT_TO && (c) <= MIGCLI_OPT_CSV) || \
	 (c) == MIGCLI_OPT_BW)

/* Their rows for a getopt_long() table. */
#define MIGCLI_LONGOPTS                                                        \
	{"migrate-to", required_argument, NULL, MIGCLI_OPT_TO},                \
		{"migrate-after", required_argument, NULL, MIGCLI_OPT_AFTER},  \
		{"migrate-rounds", required_argument, NULL,                    \
		 MIGCLI_OPT_ROUNDS},                                           \
		{"migrate-downtime", required_argument, NULL,                  \
		 MIGCLI_OPT_DOWNTIME},                                         \
		{"migrate-bandwidth", required_argument, NULL, MIGCLI_OPT_BW}, \
	{                                                                      \
		"migrate-csv", required_argument, NULL, MIGCLI_OPT_CSV         \
	}

/* Take one option: 0, or -EINVAL after saying why. */
int migcli_option(const char *cmd, int c, const char *arg);
/* The options' help lines. */
void migcli_usage(FILE *f);
/* --migrate-to was given. */
int migcli_enabled(void);

/* Between two exits of vCPU 0 (before each step): start, drive and end
 * a migration; 1 when the guest now runs in the target and the run here
 * must end. */
int migcli_poll(struct mvm_machine *m, struct console *con);
/* The run is over: abandon a migration still under way. Returns
 * MVM_EXIT_OK when the guest was migrated, else status. */
int migcli_finish(struct mvm_machine *m, int status);

/* The numbers at the end: a table on stderr, and CSV to csv (may be
 * NULL) (migrate_report.c). */
void migcli_report(const struct mvm_migrate_stats *st,
		   const struct mvm_migrate_params *p, const char *csv);

/* "[HOST:]PORT" (HOST an IPv4 address, default 127.0.0.1): 0 or
 * -EINVAL. */
int migcli_parse_addr(const char *arg, char *host, size_t hostlen, int *port);
/* The target: listen on [HOST:]PORT, say where on stderr, accept one
 * source and receive its machine. 0 and *m, or -errno after saying why. */
int migcli_receive(const char *cmd, const char *listen,
		   const struct mvm_machine_config *base,
		   struct mvm_machine **m);

#endif
