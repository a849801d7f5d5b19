/*
 * bench_linux.c - `make bench-linux`: one Linux boot on mvm and on QEMU,
 * in the same run, timed to the same milestones.
 *
 * Each VMM boots the teaching kernel (`make linux`) with the busybox
 * initramfs and the ext2 disk on virtio-blk, over virtio-mmio, 64 MiB:
 *
 *   mvm       mvm run --kernel ... --disk ...,ro --virtio mmio --stats
 *   QEMU/KVM  qemu-system-x86_64 -M microvm -accel kvm, the same kernel,
 *             initramfs and command line; virtio-blk, -rng and -console
 *             as virtio-mmio devices, which microvm names on the kernel
 *             command line (virtio_mmio.device=...) as mvm does; only
 *             with acpi=off (else they are in its ACPI tables, and the
 *             teaching kernel has no ACPI)
 *   QEMU/TCG  the same with -accel tcg: QEMU's binary translator, the
 *             course's "software full virtualization"
 *
 * The command line is mvm's own (it prints it with -v): its base words,
 * and on a software KVM backend the quirk words (quirks.h) too, so every
 * VMM boots the same kernel doing the same work.
 *
 * Timing is done here, the same way for all three: the seconds from
 * starting the VMM's process until its serial console shows each
 * milestone, matched by the library's patterns (boottime.h) on the bytes
 * as they arrive through a pipe. "kernel entered" is not on any console;
 * mvm's --stats has it (a breakpoint, run_linux.c) on its own clock,
 * which starts at the first KVM_RUN, so it is shifted here by the offset
 * between the two clocks at the first console line. Exits per milestone
 * are mvm's own count of exits to user space (its --stats table): QEMU
 * does not report its exits (and TCG has none).
 *
 * QEMU/KVM cannot boot this kernel on a KVM backend that emulates ring-0
 * code (MVM_QUIRK_SOFT_INT_EMULATION: the kernel's int3 self-test stops
 * QEMU with "KVM internal error. Suberror: 1"; mvm's run step works
 * around it). The bench stops QEMU when it says so, prints why, and
 * compares with TCG. Where QEMU/KVM boots, it prints mvm/QEMU-KVM too.
 *
 *   build/bench/bench_linux [-t SEC] [-o CSV] [-x EXITS_CSV] LINUX_DIR
 *
 * -o: the milestones as CSV (slides/data/linux-boot.csv), -x: mvm's exits
 * by device and by reason (slides/data/linux-exits.csv); both start with
 * a "# machine" line. Console logs go to build/bench/linux-*.log.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_linux.h"

#define MVM	  MVM_BUILD_DIR "/mvm"
#define QEMU	  "qemu-system-x86_64"
#define LOG_DIR	  MVM_BUILD_DIR "/bench"
#define LIMIT_S	  900 /* per boot, unless -t */
#define CMDLINE_N 2048
#define ARGS_MAX  48

const char *const vmm_name[NVMMS] = {"mvm", "QEMU/KVM", "QEMU/TCG"};

struct boot boots[NVMMS];
static unsigned limit_s = LIMIT_S;
static volatile pid_t child; /* the VMM running now, for stop() */

/* SIGINT/SIGTERM: take the VMM down too, then go. */
static void stop(int sig)
{
	if (child > 0)
		kill(child, SIGTERM);
	signal(sig, SIG_DFL);
	raise(sig);
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static pid_t spawn(char *const argv[], int *out, int *err)
{
	int po[2], pe[2];
	pid_t pid;

	if (pipe(po) < 0 || pipe(pe) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		if (!freopen("/dev/null", "r", stdin))
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	*out = po[0];
	*err = pe[0];
	return pid;
}

/* QEMU keeps running (paused) after a KVM error: stop it then. */
static int fatal_in(const struct boot *b)
{
	return strstr(b->err, "KVM internal error") ||
	       strstr(b->err, "failed to set MSR");
}

/*
 * Run argv, timing its console (stdout) line by line into b->tl and
 * logging it to `log`, until it exits, fails fatally or runs out of time.
 */
static void run_boot(char *const argv[], struct boot *b, const char *log)
{
	struct timespec t0;
	int out, err, st = 0, open_fds = 2;
	FILE *lf = fopen(log, "w");
	char buf[4096];

	mvm_boot_timeline_init(&b->tl);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = spawn(argv, &out, &err);

	child = pid;

	b->ran = 1;
	if (pid < 0) {
		snprintf(b->failure, sizeof(b->failure), "fork: %s",
			 strerror(errno));
		return;
	}
	struct pollfd p[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
	while (open_fds > 0 && !fatal_in(b) && since(&t0) < limit_s) {
		if (poll(p, 2, 1000) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			ssize_t n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				p[i].fd = -1;
				open_fds--;
			} else if (i == 0) {
				mvm_boot_timeline_feed(&b->tl, buf, (size_t)n,
						       since(&t0), 0);
				if (lf)
					fwrite(buf, 1, (size_t)n, lf);
			} else if (b->errlen + (size_t)n < ERR_MAX) {
				memcpy(b->err + b->errlen, buf, (size_t)n);
				b->errlen += (size_t)n;
				b->err[b->errlen] = '\0';
			}
		}
	}
	if (open_fds > 0)
		kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	child = 0;
	b->secs = since(&t0);
	b->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	close(out);
	close(err);
	if (lf)
		fclose(lf);
	if (since(&t0) >= limit_s)
		snprintf(b->failure, sizeof(b->failure),
			 "no end after %u s (-t)", limit_s);
}

/* The first stderr line containing key, into dst. */
static void err_line(const struct boot *b, const char *key, char *dst,
		     size_t len)
{
	const char *s = strstr(b->err, key);
	size_t n;

	if (!s)
		return;
	while (s > b->err && s[-1] != '\n')
		s--;
	n = strcspn(s, "\n");
	snprintf(dst, len, "%.*s", (int)n, s);
}

/* mvm's --stats timeline: its clock and its exit counts. */
static void mvm_table(struct boot *b)
{
	double own[MVM_BOOT_MILESTONES] = {0}, shift = 0;
	int have[MVM_BOOT_MILESTONES] = {0};
	char key[64];

	for (int m = 0; m < MVM_BOOT_MILESTONES; m++) {
		const char *name = mvm_boot_milestone_name(m);
		unsigned long long ex;
		const char *s = b->err;

		snprintf(key, sizeof(key), "\n%s ", name);
		while ((s = strstr(s, key)) &&
		       sscanf(s + strlen(key), "%lf s %llu", &own[m], &ex) != 2)
			s++;
		if (s) {
			have[m] = 1;
			b->exits[m] = ex;
		}
	}
	if (have[MVM_BOOT_FIRST_LINE] && b->tl.seen[MVM_BOOT_FIRST_LINE])
		shift = b->tl.at_s[MVM_BOOT_FIRST_LINE] -
			own[MVM_BOOT_FIRST_LINE];
	if (have[MVM_BOOT_KERNEL_ENTRY])
		mvm_boot_timeline_mark(&b->tl, MVM_BOOT_KERNEL_ENTRY,
				       own[MVM_BOOT_KERNEL_ENTRY] + shift, 0);
}

/* mvm's command line minus its virtio_mmio.device= words (QEMU's
 * microvm adds its own for its devices). */
static int mvm_cmdline(const struct boot *b, char *dst, size_t len)
{
	char line[CMDLINE_N] = "", *w, *save = NULL;
	size_t n = 0;

	err_line(b, "command line: ", line, sizeof(line));
	char *s = strstr(line, "command line: ");
	if (!s)
		return -1;
	dst[0] = '\0';
	for (w = strtok_r(s + 14, " ", &save); w;
	     w = strtok_r(NULL, " ", &save))
		if (strncmp(w, "virtio_mmio.device=", 19) &&
		    n + strlen(w) + 2 < len)
			n += (size_t)snprintf(dst + n, len - n, "%s%s",
					      n ? " " : "", w);
	return 0;
}

static void qemu_boot(int vmm, const char *dir, const char *cmdline,
		      unsigned quirks)
{
	char k[512], i[512], d[600], log[512];
	int kvm = vmm == VMM_QEMU_KVM;
	/* What the ring-0 emulator lacks, QEMU's CPU model must not offer
	 * (quirks.h NO_CMPXCHG16B, EMULATOR_ISA); elsewhere the host's. */
	const char *cpu =
		!kvm ? "qemu64"
		: quirks & (MVM_QUIRK_EMULATOR_ISA | MVM_QUIRK_NO_CMPXCHG16B)
			? "qemu64,-xsave,-cx16"
			: "host";

	snprintf(k, sizeof(k), "%s/bzImage", dir);
	snprintf(i, sizeof(i), "%s/initramfs.cpio", dir);
	snprintf(d, sizeof(d),
		 "id=d0,file=%s/disk.ext2,format=raw,if=none,"
		 "readonly=on",
		 dir);
	snprintf(log, sizeof(log), LOG_DIR "/linux-qemu-%s.log",
		 kvm ? "kvm" : "tcg");
	char *const argv[ARGS_MAX] = {QEMU,
				      "-M",
				      "microvm,acpi=off",
				      "-accel",
				      kvm ? "kvm" : "tcg",
				      "-cpu",
				      (char *)cpu,
				      "-m",
				      "64M",
				      "-nodefaults",
				      "-no-user-config",
				      "-nographic",
				      "-serial",
				      "stdio",
				      "-no-reboot",
				      "-kernel",
				      k,
				      "-initrd",
				      i,
				      "-append",
				      (char *)cmdline,
				      "-drive",
				      d,
				      "-device",
				      "virtio-blk-device,drive=d0",
				      "-device",
				      "virtio-rng-device",
				      "-device",
				      "virtio-serial-device",
				      NULL};
	fprintf(stderr, "bench-linux: booting on %s (-accel %s -cpu %s)\n",
		vmm_name[vmm], kvm ? "kvm" : "tcg", cpu);
	run_boot(argv, &boots[vmm], log);
	if (!boots[vmm].failure[0] && fatal_in(&boots[vmm])) {
		err_line(&boots[vmm], "KVM internal error", boots[vmm].failure,
			 sizeof(boots[vmm].failure));
		err_line(&boots[vmm], "failed to set MSR", boots[vmm].failure,
			 sizeof(boots[vmm].failure));
	}
	if (!boots[vmm].failure[0] && !boots[vmm].tl.seen[MVM_BOOT_INIT])
		err_line(&boots[vmm], QEMU ":", boots[vmm].failure,
			 sizeof(boots[vmm].failure));
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_linux [-t SEC] [-o CSV] [-x EXITS_CSV] "
			"LINUX_DIR\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *csv = NULL, *xcsv = NULL;
	char k[512], i[512], d[600], cmdline[CMDLINE_N], host[320];
	struct mvm_backend be;
	int opt;

	while ((opt = getopt(argc, argv, "t:o:x:")) != -1) {
		if (opt == 't')
			limit_s = (unsigned)atoi(optarg);
		else if (opt == 'o')
			csv = optarg;
		else if (opt == 'x')
			xcsv = optarg;
		else
			return usage();
	}
	if (optind != argc - 1 || limit_s == 0)
		return usage();
	const char *dir = argv[optind];
	signal(SIGINT, stop);
	signal(SIGTERM, stop);
	mvm_backend_detect(&be);
	mvm_host_describe(host, sizeof(host));
	/* Other work on the host stretches every figure; say how much. */
	double load;
	if (getloadavg(&load, 1) == 1)
		snprintf(host + strlen(host), sizeof(host) - strlen(host),
			 "; load average %.1f at the start", load);
	snprintf(k, sizeof(k), "%s/bzImage", dir);
	snprintf(i, sizeof(i), "%s/initramfs.cpio", dir);
	snprintf(d, sizeof(d), "%s/disk.ext2,ro", dir);
	char *const mvm_argv[] = {MVM,	      "run",  "--kernel", k,
				  "--initrd", i,      "--disk",	  d,
				  "--virtio", "mmio", "--stats",  "-v",
				  "-T",	      "0",    NULL};

	printf("bench-linux: %s\n", host);
	fprintf(stderr, "bench-linux: booting on mvm\n");
	run_boot(mvm_argv, &boots[VMM_MVM], LOG_DIR "/linux-mvm.log");
	mvm_table(&boots[VMM_MVM]);
	if (mvm_cmdline(&boots[VMM_MVM], cmdline, sizeof(cmdline)) < 0) {
		fprintf(stderr, "bench-linux: mvm did not boot:\n%s\n",
			boots[VMM_MVM].err);
		return 1;
	}
	printf("command line: %s\n", cmdline);
	qemu_boot(VMM_QEMU_KVM, dir, cmdline, be.quirks);
	qemu_boot(VMM_QEMU_TCG, dir, cmdline, be.quirks);

	print_table();
	printf("(seconds from starting the VMM; mvm exits: exits to user "
	       "space so far)\n\n");
	if (boots[VMM_QEMU_KVM].tl.seen[MVM_BOOT_INIT])
		print_ratio(VMM_QEMU_KVM);
	else
		explain_kvm_failure(be.quirks);
	print_ratio(VMM_QEMU_TCG);
	if (boots[VMM_QEMU_TCG].failure[0])
		printf("QEMU/TCG: %s\n", boots[VMM_QEMU_TCG].failure);
	if (csv && write_boot_csv(csv, host) < 0)
		fprintf(stderr, "bench-linux: cannot write %s\n", csv);
	if (xcsv && write_exits_csv(xcsv, host) < 0)
		fprintf(stderr, "bench-linux: cannot write %s\n", xcsv);
	return 0;
}
