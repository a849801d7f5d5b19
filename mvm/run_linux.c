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
 * --stats prints the boot timeline (boottime.h): time since the first
 * instruction and exits so far when the kernel proper starts (a bzImage
 * decompresses itself first) and when the console first shows each
 * milestone, then the exits by device and by reason.
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
	struct console *con;	      /* guest text goes on there */
	struct timespec t0;	      /* first KVM_RUN */
	uint64_t exits;		      /* exits so far */
	uint64_t entry_bp;	      /* kernel proper's entry; 0: none */
	struct mvm_boot_timeline tl;  /* milestones (boottime.h) */
	uint64_t by_device[NDEVICES]; /* I/O and MMIO exits */
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

/* Output callback: to the console, and line by line to the timeline. */
static void boot_output(void *ctx, const char *buf, size_t len)
{
	struct boot *b = ctx;

	console_output(b->con, buf, len);
	mvm_boot_timeline_feed(&b->tl, buf, len, since(&b->t0), b->exits);
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

/*
 * Where a bzImage's kernel proper starts. The setup header's
 * pref_address is the kernel's LOAD_PHYSICAL_ADDR (arch/x86/boot/
 * header.S), where the decompressor writes the kernel proper unless it
 * is relocatable and KASLR or a load address above it moves it; then it
 * jumps to its first byte: x86-64's vmlinux.lds.S puts head_64.S's
 * startup_64 at _text. The decompressor runs with identity paging, so
 * that physical address is the linear address a debug register compares
 * (Intel SDM Vol. 3B 18.2.1). Where the kernel was moved the breakpoint
 * never fires and the timeline has no "kernel entered".
 */
static uint64_t kernel_proper_entry(const void *k, size_t len,
				    struct mvm_machine *m)
{
	struct mvm_bzimage bz;

	if (mvm_bzimage_parse(k, len, &bz, mvm_machine_log(m)) < 0)
		return 0;
	return bz.pref_address;
}

/* The kernel, initrd and command line into the machine. */
static int load(struct mvm_machine *m, const struct run_opts *o, struct boot *b)
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
	if (!rc && o->stats && info.kind == MVM_LINUX_BZIMAGE)
		b->entry_bp = kernel_proper_entry(k, lc.kernel_len, m);
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
	for (int i = 0; i < MVM_BOOT_MILESTONES; i++)
		if (b->tl.seen[i])
			fprintf(stderr, "%-22s %8.2f s %12llu\n",
				mvm_boot_milestone_name(i), b->tl.at_s[i],
				(unsigned long long)b->tl.at_exits[i]);
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
 * --stats: the "kernel entered" milestone. A vmlinux starts there; a
 * bzImage gets there when its decompressor is done, which one execute
 * breakpoint shows (one KVM_EXIT_DEBUG, counted like any exit). It is
 * removed when it fires, or at the first console line if it never did.
 */
static void entry_arm(struct boot *b, struct mvm_vcpu *vcpu)
{
	if (!b->entry_bp) {
		mvm_boot_timeline_mark(&b->tl, MVM_BOOT_KERNEL_ENTRY, 0, 0);
		return;
	}
	if (mvm_vcpu_set_debug(vcpu, 0, &b->entry_bp, 1) < 0)
		b->entry_bp = 0; /* no milestone, the boot goes on */
}

/* 1 if e was the entry breakpoint: the run goes on. */
static int entry_check(struct boot *b, struct mvm_vcpu *vcpu,
		       const struct mvm_exit *e)
{
	int hit = e->reason == KVM_EXIT_DEBUG && e->u.debug.pc == b->entry_bp;

	if (!b->entry_bp || (!hit && !b->tl.seen[MVM_BOOT_FIRST_LINE]))
		return 0;
	if (hit)
		mvm_boot_timeline_mark(&b->tl, MVM_BOOT_KERNEL_ENTRY,
				       since(&b->t0), b->exits);
	mvm_vcpu_set_debug(vcpu, 0, NULL, 0);
	b->entry_bp = 0;
	return hit;
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
	if (o->stats)
		entry_arm(b, vcpu);
	clock_gettime(CLOCK_MONOTONIC, &b->t0);
	while ((v == MVM_GO_ON || v == MVM_SYNC) && !console_quit(b->con)) {
		rc = mvm_machine_step(m, 0, &e, &v);
		b->exits++;
		if (rc == 0)
			count_device(b, &e);
		if (rc == 0 && entry_check(b, vcpu, &e))
			v = MVM_GO_ON;
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
			b->tl.seen[MVM_BOOT_PANIC] ? " after a kernel panic"
						   : "");
		return b->tl.seen[MVM_BOOT_PANIC] ? MVM_EXIT_FAIL : MVM_EXIT_OK;
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
		.out = boot_output,
		.out_ctx = &b,
		.log = {cli_log, &logctx},
	};
	struct mvm_machine *m = NULL;
	int rc, status = MVM_EXIT_FAIL;

	mvm_virtio_opts_config(&o->vio, &cfg); /* --disk, --virtio */
	console_init(&con, o->raw);
	rc = mvm_machine_create(&cfg, &m);
	if (rc < 0)
		cli_error(CMD, "cannot create a VM: %s (try 'mvm doctor')",
			  strerror(-rc));
	if (!rc)
		rc = load(m, o, &b);
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
