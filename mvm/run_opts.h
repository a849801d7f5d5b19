/*
 * run_opts.h - the options of `mvm run` (run_opts.c parses them; cmd_run.c
 * acts on them).
 */
#ifndef MVM_RUN_OPTS_H
#define MVM_RUN_OPTS_H

#include <stdint.h>

#include "minivmm/modes.h"
#include "minivmm/virtio_opts.h"

/* Long-only options: getopt_long codes past any character, one range per
 * file so they never collide (a shared code makes one option shadow the
 * other): 0x200 run_opts.c's virtio options, 0x100x snapshot_cli.h,
 * 0x110x run_irq.h, 0x111x walk_cli.h, 0x120x migrate_cli.h, 0x130x
 * these. */
#define RUN_OPT_KERNEL 0x1301 /* --kernel FILE */
#define RUN_OPT_INITRD 0x1302 /* --initrd FILE */
#define RUN_OPT_APPEND 0x1303 /* --append ARGS */

struct run_opts {
	int mode_set;		/* --mode given */
	enum mvm_cpu_mode mode; /* CPU mode to start in */
	uint64_t mem;		/* bytes of guest RAM */
	int trace;		/* --trace: print every exit */
	int stats;		/* --stats: table at the end */
	int verbose;		/* -v: show the library's debug messages */
	int flat;		/* --flat: a flat binary whatever its name */
	int raw;		/* --raw: guest output not escaped */
	int cpus;		/* --cpus: vCPUs, each on its own thread */
	int emulate;		/* --emulate: the interpreter, not KVM_RUN */
	unsigned timeout_ms;	/* 0 = run until the guest stops */
	int timeout_set;	/* -T given (else run_default_limit_ms()) */
	const char *image;	/* path */
	const char *gdb_host;	/* --gdb: listen here (NULL = no gdb) */
	const char *gdb_unix;	/* --gdb unix:PATH: a Unix socket instead */
	int gdb_port;		/* --gdb: 0 = any free port */
	char gdb_buf[64];	/* --gdb's host part */
	int console_virtio;	/* --console virtio: stdin to virtio-console */
	int balloon;		/* --balloon PAGES given: virtio-balloon */
	unsigned balloon_pages; /* its first target (num_pages) */
	const char *kernel;	/* --kernel: boot Linux (run_linux.c) */
	const char *initrd;	/* --initrd: its initramfs */
	const char *append;	/* --append: its command line */
	/* --disk FILE[,ro], --virtio mmio|pci, --virtio-plain */
	struct mvm_virtio_opts vio;
};

/* The run limit when -T is not given, in one place for every way of
 * starting a guest (--kernel and migration set theirs here). */
#define RUN_IMAGE_LIMIT_MS 10000 /* a plain image: 10 s */
unsigned run_default_limit_ms(const struct run_opts *o);

/* Parse argv into o (o holds the defaults). Returns -1 to go on, else
 * the exit status to return at once (--help, or a usage error, which
 * has been printed as one line naming the culprit). */
int run_parse_args(int argc, char **argv, struct run_opts *o);

#endif
