/*
 * main.c - mvmdbg: the VM-exit debugger.
 *
 *   mvmdbg [--mode real|prot|long] [--record T.jsonl] IMAGE   (ncurses)
 *   mvmdbg --batch FILE|- [--stable] IMAGE                  (plain text)
 *   mvmdbg --replay T.jsonl [--batch FILE|-]                (no KVM)
 *
 * Without a terminal on stdin and stdout the debugger falls back to
 * batch mode reading stdin, so `make demo` in CI cannot hang on a TUI.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay.h"
#include "session.h"
#include "tui.h"

int dbg_batch(struct dbg_session *s, FILE *in, FILE *out);
int dbg_tui(struct dbg_session *s);

struct opts {
	const char *batch, *replay, *record, *image;
	int mode; /* -1: from the image */
	int stable;
	unsigned timeout_ms;
	uint64_t page_size;
	int theme;		    /* enum dbg_theme, or -1: not given */
	char gdb_cmd[160];	    /* --gdb: "gdb [HOST:]PORT", run first */
	enum mvm_irqchip irqchip;   /* --irqchip none|user|kernel */
	int irqfd;		    /* --irqfd */
	struct mvm_virtio_opts vio; /* --disk, --virtio, --virtio-plain */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mvmdbg [options] IMAGE\n"
		"       mvmdbg --replay TRACE.jsonl [--batch FILE]\n"
		"  --batch FILE     run commands from FILE ('-' = stdin), "
		"print "
		"panes as text\n"
		"  --record FILE    write every exit and step as JSON lines\n"
		"  --replay FILE    inspect a recorded trace without KVM\n"
		"  --mode MODE      real, prot or long (default: from the "
		"image; flat = real)\n"
		"  --pages 4k|2m    long mode: map with 4 KiB pages (a 4-level "
		"walk) or 2 MiB\n"
		"  --stable         no timings or host addresses (golden "
		"files)\n"
		"  --no-exit-limit SEC  stop a run that makes no VM exit for "
		"SEC seconds\n"
		"                   (default %g; `--timeout MS` is the old "
		"spelling)\n"
		"  --theme T        dark, light (for a projector) or mono; "
		"NO_COLOR=1 means mono\n"
		"  --gdb [HOST:]PORT  first hand the guest to gdb (target "
		"remote :PORT; 0 =\n"
		"                   any free port, printed); mvmdbg goes on "
		"when gdb detaches\n"
		"  --irqchip CHIP   none (default), user (mvm's 8259A + 8254: "
		"`break irq`\n"
		"                   stops on injections) or kernel (KVM's "
		"PIC, IOAPIC, LAPIC)\n"
		"  --irqfd          device lines as irqfds (implies --irqchip "
		"kernel)\n"
		"  --disk FILE[,ro] --virtio mmio|pci --virtio-plain\n"
		"                   virtio devices, as in `mvm run` (`virtq` "
		"shows their queues)\n"
		"Type `help` inside for commands; keys: F7 stepi, F8 next "
		"exit, F9 cont, Tab pane.\n",
		DBG_TIMEOUT_MS / 1000.0);
}

/* Seconds, as `mvm run -T` takes them: "3", "0.5"; 1 ms to ~46 days. */
static int seconds(const char *arg, unsigned *ms)
{
	char *end;
	double v = strtod(arg, &end);
	if (end == arg || *end || !(v >= 0.001 && v <= 4000000.0))
		return -1;
	*ms = (unsigned)(v * 1000.0 + 0.5);
	return 0;
}

/*
 * The limit on one run without an exit used to be `--timeout MS`; in
 * `mvm run` and `mvm restore`, --timeout is the whole run in seconds.
 * Different meanings get different names: this one is --no-exit-limit
 * in seconds, and the old spelling still works, with a note.
 */
static int old_timeout(const char *arg, struct opts *o)
{
	char *end;
	unsigned long ms = strtoul(arg, &end, 0);
	if (!ms || *end || ms > 4000000000UL)
		return -1;
	o->timeout_ms = (unsigned)ms;
	fprintf(stderr,
		"mvmdbg: note: --timeout MS is now --no-exit-limit SEC (the "
		"time without a VM exit; mvm run's --timeout is the whole "
		"run); taking --no-exit-limit %g\n",
		ms / 1000.0);
	return 0;
}

/* Options with a value to check: --mode, --no-exit-limit, --pages. Every
 * bad value gets a message saying what was expected. */
static int value_option(int c, const char *arg, struct opts *o)
{
	enum mvm_cpu_mode m;
	if (c == 'm' && mvm_mode_parse(arg, &m) == 0) {
		o->mode = (int)m;
		return 0;
	}
	if ((c == 't' && old_timeout(arg, o) == 0) ||
	    (c == 'L' && seconds(arg, &o->timeout_ms) == 0))
		return 0;
	if (c == 'g') {
		o->page_size = !strcmp(arg, "4k")   ? 4096
			       : !strcmp(arg, "2m") ? 2ULL << 20
						    : 0;
		if (o->page_size)
			return 0;
	}
	fprintf(stderr, "mvmdbg: bad --%s '%s' (%s)\n",
		c == 'm'   ? "mode"
		: c == 't' ? "timeout"
		: c == 'L' ? "no-exit-limit"
			   : "pages",
		arg,
		c == 'm'   ? "real, prot or long"
		: c == 't' ? "milliseconds; now --no-exit-limit SEC"
		: c == 'L' ? "seconds from 0.001 to 4000000"
			   : "4k or 2m");
	return -1;
}

/* --irqchip, --irqfd and the virtio options: the machine `mvm run`
 * builds for the same words (virtio_opts.h for the virtio ones). */
static int machine_option(int c, const char *arg, struct opts *o)
{
	char err[160];
	if (c == 'F') {
		o->irqfd = 1;
		return 0;
	}
	if (c == 'I') {
		static const char *const chips[] = {[MVM_IRQCHIP_NONE] = "none",
						    [MVM_IRQCHIP_USER] = "user",
						    [MVM_IRQCHIP_KERNEL] =
							    "kernel"};
		for (int i = 0; i < 3; i++)
			if (!strcmp(arg, chips[i])) {
				o->irqchip = (enum mvm_irqchip)i;
				return 0;
			}
		fprintf(stderr,
			"mvmdbg: bad --irqchip '%s' (none, user or kernel)\n",
			arg);
		return -1;
	}
	if (mvm_virtio_opts_parse(&o->vio,
				  c == 'D'   ? "disk"
				  : c == 'V' ? "virtio"
					     : "virtio-plain",
				  arg, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "mvmdbg: %s\n", err);
	return -1;
}

/* One option (getopt_long's return value c); 0 or -1 after a message. */
static int option(int c, struct opts *o)
{
	switch (c) {
	case 'I':
	case 'F':
	case 'D':
	case 'V':
	case 'P':
		return machine_option(c, optarg, o);
	case 'b':
		o->batch = optarg;
		return 0;
	case 'p':
		o->replay = optarg;
		return 0;
	case 'r':
		o->record = optarg;
		return 0;
	case 's':
		o->stable = 1;
		return 0;
	case 'm':
	case 't':
	case 'L':
	case 'g':
		return value_option(c, optarg, o);
	case 'G': {
		struct dbg_gdb_where w;
		snprintf(o->gdb_cmd, sizeof(o->gdb_cmd), "gdb %s", optarg);
		if (strlen(optarg) < 100 && dbg_gdb_parse(optarg, &w) == 0)
			return 0;
		fprintf(stderr,
			"mvmdbg: bad --gdb '%s' ([HOST:]PORT, HOST an IPv4 "
			"address, PORT 0-65535; or unix:PATH)\n",
			optarg);
		return -1;
	}
	case 'T':
		o->theme = dbg_theme_parse(optarg);
		if (o->theme >= 0)
			return 0;
		fprintf(stderr,
			"mvmdbg: bad --theme '%s' (dark, light or mono)\n",
			optarg);
		return -1;
	case 'h':
		usage(stdout);
		exit(0);
	default:
		usage(stderr);
		return -1;
	}
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"batch", required_argument, NULL, 'b'},
		{"replay", required_argument, NULL, 'p'},
		{"record", required_argument, NULL, 'r'},
		{"mode", required_argument, NULL, 'm'},
		{"stable", no_argument, NULL, 's'},
		{"no-exit-limit", required_argument, NULL, 'L'},
		{"timeout", required_argument, NULL, 't'}, /* old spelling */
		{"pages", required_argument, NULL, 'g'},
		{"theme", required_argument, NULL, 'T'},
		{"gdb", required_argument, NULL, 'G'},
		{"irqchip", required_argument, NULL, 'I'},
		{"irqfd", no_argument, NULL, 'F'},
		{"disk", required_argument, NULL, 'D'},
		{"virtio", required_argument, NULL, 'V'},
		{"virtio-plain", no_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		if (option(c, o))
			return -1;
	if (o->irqfd && o->irqchip == MVM_IRQCHIP_NONE)
		o->irqchip = MVM_IRQCHIP_KERNEL; /* as `mvm run --irqfd` */
	if (o->irqfd && o->irqchip != MVM_IRQCHIP_KERNEL) {
		fprintf(stderr, "mvmdbg: --irqfd needs --irqchip kernel (an "
				"irqfd is KVM's way into its own chip)\n");
		return -1;
	}
	o->image = optind < argc ? argv[optind] : NULL;
	/* Exactly one of IMAGE and --replay: a trace has its own guest. */
	if ((!o->image && !o->replay) || (o->image && o->replay) ||
	    optind + 1 < argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static int start(struct dbg_session *s, const struct opts *o)
{
	int rc = o->replay ? dbg_session_open_replay(s, o->replay)
			   : dbg_session_open(s, o->image, o->mode);
	if (rc) {
		const char *what = o->replay ? o->replay : o->image;
		const char *why = s->status[0] ? s->status : strerror(-rc);
		size_t n = strlen(what);

		/* One line: the loader's reason without its "error: PATH: " */
		if (!strncmp(why, "error: ", 7))
			why += 7;
		if (!strncmp(why, what, n) && !strncmp(why + n, ": ", 2))
			why += n + 2;
		fprintf(stderr, "mvmdbg: cannot start %s: %s\n", what, why);
		if (rc == -ENOENT && !o->replay && access("/dev/kvm", F_OK))
			fprintf(stderr, "  /dev/kvm is missing: run `build/mvm "
					"doctor`, or use --replay\n");
		return rc;
	}
	if (o->record) {
		s->rec = fopen(o->record, "w");
		if (!s->rec) {
			fprintf(stderr, "mvmdbg: cannot write %s: %s\n",
				o->record, strerror(errno));
			return -errno;
		}
		dbg_record(s, "start");
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {.mode = -1, .theme = -1};
	static struct dbg_session s; /* large: not on the stack */
	if (parse(argc, argv, &o))
		return 2;
	dbg_session_init(&s);
	s.stable = o.stable;
	s.page_size = o.page_size;
	s.irqchip = o.irqchip;
	s.irq_flags = o.irqfd ? MVM_MIRQ_IRQFD : 0;
	s.vio = o.vio;
	s.vio.disk = o.vio.disk ? s.vio.disk_buf : NULL;
	if (o.timeout_ms)
		s.timeout_ms = o.timeout_ms;
	if (o.gdb_cmd[0])
		s.first_cmd = o.gdb_cmd;
	if (start(&s, &o)) {
		dbg_session_close(&s);
		return 1;
	}
	int rc = 0;
	if (!o.batch && !(isatty(0) && isatty(1)))
		o.batch = "-"; /* no terminal: never wait in a TUI */
	if (o.batch) {
		FILE *in = strcmp(o.batch, "-") ? fopen(o.batch, "r") : stdin;
		if (!in) {
			fprintf(stderr, "mvmdbg: cannot read %s: %s\n", o.batch,
				strerror(errno));
			rc = 1;
		} else {
			rc = dbg_batch(&s, in, stdout) ? 1 : 0;
			if (in != stdin)
				fclose(in);
		}
	} else {
		/* https://no-color.org: NO_COLOR set and not empty. */
		const char *nc = getenv("NO_COLOR");
		if (o.theme < 0)
			o.theme = nc && *nc ? DBG_THEME_MONO : DBG_THEME_DARK;
		dbg_tui_set_theme((enum dbg_theme)o.theme);
		rc = dbg_tui(&s) ? 1 : 0;
	}
	dbg_session_close(&s);
	return rc;
}
