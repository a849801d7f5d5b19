/*
 * run_linux.c - `mvm run --kernel FILE [--initrd FILE] [--append ARGS]
 * [--disk FILE[,ro]] [--virtio mmio|pci]`: boot a Linux kernel.
 *
 * The machine is a small PC: RAM, KVM's in-kernel interrupt controllers
 * (8259 PICs, IOAPIC, local APIC) and 8254 PIT, the 8250 UART on COM1,
 * which Linux drives as ttyS0, and the CMOS real-time clock. The kernel gets there by the 64-bit
 * boot protocol (linux.h): the loader writes the zero page, vCPU 0
 * starts at the kernel's 64-bit entry.
 *
 * With --disk or --virtio it also gets virtio-blk, -rng and -console
 * (virtio_devs.h); over virtio-mmio Linux learns where they are from its
 * command line (virtio_mmio.device=0x200@ADDR:IRQ words).
 *
 * The command line is "console=ttyS0 reboot=t panic=-1", the virtio-mmio
 * words, then the user's --append, then what this host's KVM backend needs (quirks.h; empty on
 * hardware KVM). reboot=t makes Linux reset the machine by a triple fault,
 * and panic=-1 makes a panic reset it at once; either reset ends the run
 * (as QEMU's -no-reboot does), so `reboot -f` in the guest is a clean way
 * out (tinyconfig has no ACPI power-off).
 *
 * --stats prints the boot timeline: time since the first instruction and
 * exits so far when the console first shows each milestone, then the
 * exits by reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "console.h"
#include "minivmm/minivmm.h"
#include "run_linux.h"
#include "run_report.h"

#define CMD "mvm run"

/* Always on the command line, before the user's words (later wins). */
#define BASE_CMDLINE "console=ttyS0 reboot=t panic=-1"
#define CMDLINE_MAX  2048 /* x86 COMMAND_LINE_SIZE */
#define LINE_MAX_LEN 512  /* console line kept for milestone matching */

/* What the console shows when a boot reaches a milestone. */
static const struct {
	const char *name; /* in the timeline */
	const char *text; /* first console line containing it */
} milestones[] = {
	{"first console line", ""},
	{"virtio-blk probed", "virtio_blk virtio"},
	{"root mounted", "VFS: Mounted root"},
	{"init started", "Run /"},
	{"kernel panic", "Kernel panic"},
	{"reset", "reboot: Restarting system"},
};
#define NMILESTONES (sizeof(milestones) / sizeof(milestones[0]))
enum { MS_PANIC = 4, MS_RESET = 5 };

/* Exits by device for the timeline: port and MMIO ranges by name. */
static const struct {
	const char *name;
	int mmio;	    /* 0: port I/O, 1: MMIO */
	uint64_t base, len; /* the range */
} devices[] = {
	{"COM1 8250 UART", 0, MVM_PORT_COM1, MVM_PORT_COM1_LEN},
	{"port 0x80 (I/O delay)", 0, 0x80, 1},
	{"PCI config 0xcf8", 0, 0xcf8, 8},
	{"other ports", 0, 0, 0x10000},
	{"MMIO window", 1, MVM_MMIO_BASE, MVM_RAM_MAX},
	{"other MMIO", 1, 0, UINT64_MAX},
};
#define NDEVICES (sizeof(devices) / sizeof(devices[0]))

struct boot {
	struct console *con;		/* guest text goes on there */
	struct timespec t0;		/* first KVM_RUN */
	uint64_t exits;			/* exits so far */
	char line[LINE_MAX_LEN];	/* the console line being written */
	size_t len;			/* its bytes */
	double at_s[NMILESTONES];	/* seconds, when seen */
	uint64_t at_exits[NMILESTONES]; /* exits then */
	int seen[NMILESTONES];		/* 1 once seen */
	uint64_t by_device[NDEVICES];	/* I/O and MMIO exits */
};

/* Count an I/O or MMIO exit against the first range that holds it. */
static void count_device(struct boot *b, const struct mvm_exit *e)
{
	int mmio = e->reason == KVM_EXIT_MMIO;
	uint64_t a = mmio ? e->u.mmio.addr : e->u.io.port;

	if (!mmio && e->reason != KVM_EXIT_IO)
		return;
	for (size_t i = 0; i < NDEVICES; i++)
		if (devices[i].mmio == mmio &&
		    a - devices[i].base < devices[i].len) {
			b->by_device[i]++;
			return;
		}
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void line_done(struct boot *b)
{
	b->line[b->len] = '\0';
	for (size_t i = 0; i < NMILESTONES; i++)
		if (!b->seen[i] && strstr(b->line, milestones[i].text)) {
			b->seen[i] = 1;
			b->at_s[i] = since(&b->t0);
			b->at_exits[i] = b->exits;
		}
	b->len = 0;
}

/* Output callback: to the console, and line by line to the matcher. */
static void boot_output(void *ctx, const char *buf, size_t len)
{
	struct boot *b = ctx;

	console_output(b->con, buf, len);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			line_done(b);
		else if (buf[i] != '\r' && b->len < sizeof(b->line) - 1)
			b->line[b->len++] = buf[i];
	}
}

static int read_file(const char *what, const char *path, uint64_t max,
		     struct mvm_machine *m, void **buf, size_t *len)
{
	int rc = mvm_file_read(path, max, buf, len, mvm_machine_log(m));

	if (rc < 0)
		cli_error(CMD, "cannot read %s '%s': %s", what, path,
			  strerror(-rc));
	return rc;
}

/* The kernel, initrd and command line into the machine. */
static int load(struct mvm_machine *m, const struct run_opts *o)
{
	const struct mvm_backend *be = mvm_vm_backend(mvm_machine_vm(m));
	struct mvm_linux_config lc = {0};
	struct mvm_linux_info info;
	char user[CMDLINE_MAX], cmdline[CMDLINE_MAX];
	void *k = NULL, *i = NULL;
	int rc;

	char words[512];

	/* Linux finds virtio-mmio devices only on its command line. */
	if (mvm_machine_virtio_cmdline(m, words, sizeof(words)) >=
	    (int)sizeof(words))
		words[0] = '\0';
	snprintf(user, sizeof(user), "%s%s%s%s%s", BASE_CMDLINE,
		 words[0] ? " " : "", words, o->append ? " " : "",
		 o->append ? o->append : "");
	rc = mvm_quirk_linux_cmdline(be->quirks, user, cmdline,
				     sizeof(cmdline));
	if (rc < 0)
		cli_error(CMD, "--append: the command line is too long");
	if (!rc)
		rc = read_file("kernel", o->kernel, o->mem, m, &k,
			       &lc.kernel_len);
	if (!rc && o->initrd)
		rc = read_file("initrd", o->initrd, o->mem, m, &i,
			       &lc.initrd_len);
	if (!rc) {
		lc.kernel = k;
		lc.initrd = i;
		lc.cmdline = cmdline;
		rc = mvm_machine_load_linux(m, &lc, &info);
		if (rc < 0)
			cli_error(CMD, "cannot boot '%s': %s", o->kernel,
				  strerror(-rc));
	}
	if (!rc && o->verbose)
		fprintf(stderr, "%s: command line: %s\n", CMD, cmdline);
	free(k);
	free(i);
	return rc;
}

static void report_timeline(const struct boot *b, struct mvm_machine *m)
{
	fprintf(stderr, "\n%-22s %10s %12s\n", "boot milestone", "time",
		"exits");
	for (size_t i = 0; i < NMILESTONES; i++)
		if (b->seen[i])
			fprintf(stderr, "%-22s %8.2f s %12llu\n",
				milestones[i].name, b->at_s[i],
				(unsigned long long)b->at_exits[i]);
	fprintf(stderr, "%-22s %8.2f s %12llu\n", "end of run", since(&b->t0),
		(unsigned long long)b->exits);
	fprintf(stderr, "\n%-22s %10s\n", "exits by device", "count");
	for (size_t i = 0; i < NDEVICES; i++)
		if (b->by_device[i])
			fprintf(stderr, "%-22s %10llu\n", devices[i].name,
				(unsigned long long)b->by_device[i]);
	report_stats(mvm_machine_vcpu(m, 0));
	char vio[1024];
	if (mvm_machine_virtio_stats(m, vio, sizeof(vio)) > 0)
		fputs(vio, stderr); /* per virtio queue, MSI-X */
}

/*
 * Step vCPU 0 until the guest resets (KVM_EXIT_SHUTDOWN: reboot=t or a
 * triple fault), fails, times out or the user stops it. A reset after
 * "Restarting system" is a clean end; after a panic it is a failure.
 */
static int run(struct mvm_machine *m, const struct run_opts *o, struct boot *b)
{
	struct mvm_vcpu *vcpu = mvm_machine_vcpu(m, 0);
	enum mvm_verdict v = MVM_GO_ON;
	struct mvm_exit e = {0};
	int rc = 0, reset = 0;

	if (o->timeout_ms)
		mvm_vcpu_set_deadline(vcpu, o->timeout_ms);
	clock_gettime(CLOCK_MONOTONIC, &b->t0);
	while ((v == MVM_GO_ON || v == MVM_SYNC) && !console_quit(b->con)) {
		rc = mvm_machine_step(m, 0, &e, &v);
		b->exits++;
		if (rc == 0)
			count_device(b, &e);
		if (rc == 0 && e.reason == KVM_EXIT_SHUTDOWN) {
			reset = 1;
			break;
		}
	}
	mvm_vcpu_set_deadline(vcpu, 0);
	console_stop(b->con);
	if (o->stats)
		report_timeline(b, m);
	if (console_quit(b->con)) {
		fprintf(stderr, "%s: stopped %s\n", CMD,
			console_quit(b->con) == CONSOLE_BY_KEY ? "with Ctrl-A x"
							       : "by a signal");
		return console_quit(b->con) == CONSOLE_BY_KEY ? MVM_EXIT_OK
							      : MVM_EXIT_FAIL;
	}
	if (reset) {
		fprintf(stderr,
			"%s: the guest reset the machine%s: end of run\n", CMD,
			b->seen[MS_PANIC] ? " after a kernel panic" : "");
		return b->seen[MS_PANIC] ? MVM_EXIT_FAIL : MVM_EXIT_OK;
	}
	if (rc == -ETIMEDOUT)
		cli_error(CMD, "timed out after %.3g s (guest RIP %#llx)",
			  o->timeout_ms / 1000.0, (unsigned long long)e.rip);
	else if (rc < 0)
		cli_error(CMD, "KVM_RUN failed: %s", strerror(-rc));
	else
		report_verdict(m, v, &e, o->trace);
	return MVM_EXIT_FAIL;
}

int run_linux(const struct run_opts *o)
{
	struct cli_log_ctx logctx = {CMD, o->verbose ? MVM_LOG_DEBUG
						     : MVM_LOG_ERROR};
	struct console con;
	struct boot b = {.con = &con};
	struct mvm_machine_config cfg = {
		.ram_size = o->mem,
		.irqchip = MVM_IRQCHIP_KERNEL,
		/* The UART, and the CMOS RTC (Lab 1's devices): without a
		 * clock at port 0x70 Linux reads all ones, takes the update
		 * flag for "busy" and polls it ~40,000 times (one exit each)
		 * before "Unable to read current time from RTC". */
		.devices = MVM_MDEV_UART | MVM_MDEV_LAB1,
		.trace = o->trace || o->stats,
		/* --disk / --virtio: virtio devices (virtio_devs.h) */
		.virtio = !o->virtio
				  ? 0
				  : MVM_VIRTIO_DEV_RNG |
					    MVM_VIRTIO_DEV_CONSOLE |
					    (o->disk ? MVM_VIRTIO_DEV_BLK : 0),
		.disk = o->disk,
		.disk_ro = o->disk_ro,
		.virtio_transport = o->virtio_transport,
		.virtio_plain = o->virtio_plain,
		.out = boot_output,
		.out_ctx = &b,
		.log = {cli_log, &logctx},
	};
	struct mvm_machine *m = NULL;
	int rc, status = MVM_EXIT_FAIL;

	console_init(&con, o->raw);
	rc = mvm_machine_create(&cfg, &m);
	if (rc < 0)
		cli_error(CMD, "cannot create a VM: %s (try 'mvm doctor')",
			  strerror(-rc));
	if (!rc)
		rc = load(m, o);
	if (!rc) {
		rc = console_start(&con, m);
		if (rc < 0)
			cli_error(CMD, "cannot start the console: %s",
				  strerror(-rc));
	}
	if (!rc)
		status = run(m, o, &b);
	console_stop(&con);
	mvm_machine_destroy(m);
	return status;
}
