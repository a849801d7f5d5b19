/*
 * session.c - opening a guest, reading its state and memory, and
 * rendering panes from the session (see session.h).
 *
 * Guest memory is read only through the library's memory map
 * (mvm_memmap_read) and page walker (mvm_pt_walk): the debugger never
 * turns a guest address into a pointer itself, so a guest with garbage
 * page tables gets an error row, never a crashed debugger.
 */
#include "session.h"
#include "irqpane.h"

#include <libgen.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096ULL

void dbg_status(struct dbg_session *s, int error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->status, sizeof(s->status), fmt, ap);
	va_end(ap);
	s->status_error = error;
}

/* Library messages: errors and warnings go to the status line. */
static void log_to_status(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct dbg_session *s = ctx;
	if (level <= MVM_LOG_WARN)
		dbg_status(s, level == MVM_LOG_ERROR, "%s: %s",
			   mvm_log_level_name(level), msg);
}

void dbg_session_output(struct dbg_session *s, const char *buf, size_t len)
{
	if (len >= DBG_OUT_MAX) {
		buf += len - DBG_OUT_MAX / 2;
		len = DBG_OUT_MAX / 2;
	}
	if (s->out_len + len > DBG_OUT_MAX) {
		/* Keep the newest half: the pane shows the tail anyway. */
		size_t keep = DBG_OUT_MAX / 2;
		memmove(s->out, s->out + s->out_len - keep, keep);
		s->out_len = keep;
	}
	memcpy(s->out + s->out_len, buf, len);
	s->out_len += len;
	/* The next trace record carries what was printed, up to
	 * DBG_REC_OUT_MAX bytes: far more than one exit can print (a ucall
	 * PRINT or one rep outsb of a page). */
	size_t room = sizeof(s->rec_out) - s->rec_out_len;
	size_t n = len < room ? len : room;
	memcpy(s->rec_out + s->rec_out_len, buf, n);
	s->rec_out_len += n;
}

int dbg_session_log(struct dbg_session *s, struct mvm_exit *e, int synth,
		    uint64_t t_ns)
{
	int event = synth || e->reason == KVM_EXIT_DEBUG;
	if (event) {
		e->seq = s->events.tr.seq + 1;
		s->events.after[e->seq % MVM_TRACE_CAP] = s->exits.seq;
		s->events.synth[e->seq % MVM_TRACE_CAP] = (uint8_t)synth;
		mvm_trace_record(&s->events.tr, t_ns, e);
	} else {
		e->seq = s->exits.seq + 1;
		mvm_trace_record(&s->exits, t_ns, e);
	}
	s->last = *e;
	s->have_last = 1;
	s->last_event = event;
	return event;
}

static void output_cb(void *ctx, const char *buf, size_t len)
{
	dbg_session_output(ctx, buf, len);
}

void dbg_session_init(struct dbg_session *s)
{
	memset(s, 0, sizeof(*s));
	mvm_trace_init(&s->exits, 1);
	mvm_trace_init(&s->events.tr, 1);
	dbg_bps_init(&s->bps);
	s->pt_follow = 1;
	s->mem_fmt = (struct dbg_xfmt){.count = 64, .fmt = 'x', .unit = 'b'};
	s->timeout_ms = DBG_TIMEOUT_MS;
	dbg_text_init(&s->result);
}

/*
 * Build the machine for the image: the same one `mvm run` and the tests
 * build (machine.h), so the exit tour's demo port answers 0x42 here too
 * and cpl-compute stops at its STOP marker. Guest output goes to the
 * output pane, library messages to the status line, and tracing is on so
 * the run step times each exit's handling.
 */
int dbg_session_open(struct dbg_session *s, const char *image, int mode)
{
	struct mvm_machine_config cfg = {
		.ncpus = 1,
		.page_size = s->page_size,
		.trace = 1,
		.out = output_cb,
		.out_ctx = s,
		.log = {log_to_status, s},
		/* --irqchip, --irqfd: as `mvm run` takes them; where the
		 * VMM delivers, HLT waits for the next interrupt. */
		.irqchip = s->irqchip,
		.irq_flags = s->irq_flags,
		.hlt = s->irqchip == MVM_IRQCHIP_USER ? MVM_HLT_WAIT
						      : MVM_HLT_STOP,
	};
	const struct mvm_image_info *info;
	int rc;

	mvm_virtio_opts_config(&s->vio, &cfg); /* --disk, --virtio */
	snprintf(s->image, sizeof(s->image), "%s", image);
	s->open_mode = mode;
	rc = mvm_machine_create(&cfg, &s->m);
	if (rc)
		return rc;
	s->vm = mvm_machine_vm(s->m);
	s->vcpu = mvm_machine_vcpu(s->m, 0);
	s->devs = *mvm_machine_devices(s->m);
	rc = dbg_irq_attach(s); /* --irqchip user: the 8259A and 8254 */
	if (rc)
		return rc;
	rc = mvm_machine_load(s->m, image, mode < 0 ? MVM_MODE_AUTO : mode);
	if (rc)
		return rc;
	info = mvm_machine_image(s->m);
	rc = dbg_session_refresh(s);
	s->mode_sig = dbg_mode_sig(&s->cur.sregs);
	/* The file name only: batch output must not depend on where the
	 * repository was cloned. */
	dbg_status(s, 0,
		   "loaded %s in %s mode at 0x%llx; F8 next exit, F7 "
		   "stepi, `help`",
		   basename(s->image), mvm_mode_name(mvm_machine_mode(s->m)),
		   (unsigned long long)info->entry);
	return rc;
}

void dbg_session_close(struct dbg_session *s)
{
	for (int i = 0; i < 2; i++)
		if (s->stats_fd[i] > 0)
			close(s->stats_fd[i]);
	dbg_irq_detach(s); /* the 8254's thread first */
	mvm_machine_destroy(s->m);
	dbg_irq_free(s); /* the machine's lines used the 8259A */
	s->m = NULL;
	s->vm = NULL;
	memset(&s->devs, 0, sizeof(s->devs));
	s->vcpu = NULL;
	dbg_replay_free(s->rp);
	s->rp = NULL;
	dbg_text_free(&s->result);
	if (s->rec)
		fclose(s->rec);
	s->rec = NULL;
}

int dbg_session_restart(struct dbg_session *s)
{
	static struct dbg_session keep; /* large: not on the stack */
	if (!s->m) {
		dbg_status(s, 1,
			   "restart: a replayed trace cannot restart "
			   "(open it again with --replay)");
		return -EPERM;
	}
	keep = *s;     /* plain values only are taken from it below */
	s->rec = NULL; /* not closed: the trace goes on */
	dbg_session_close(s);
	dbg_session_init(s);
	s->page_size = keep.page_size;
	s->stable = keep.stable;
	s->timeout_ms = keep.timeout_ms;
	s->irqchip = keep.irqchip;
	s->irq_flags = keep.irq_flags;
	s->vio = keep.vio;
	s->vio.disk = keep.vio.disk ? s->vio.disk_buf : NULL;
	memcpy(s->vq_dev, keep.vq_dev, sizeof(s->vq_dev));
	s->vq_q = keep.vq_q;
	s->vq_all = keep.vq_all;
	s->bps = keep.bps;
	for (int i = 0; i < s->bps.n; i++)
		s->bps.bp[i].hits = 0;
	s->focus = keep.focus;
	s->log_all = keep.log_all;
	s->mem_addr = keep.mem_addr;
	s->mem_phys = keep.mem_phys;
	s->mem_at = keep.mem_at;
	s->mem_fmt = keep.mem_fmt;
	s->rec = keep.rec;
	s->announce = keep.announce;
	int rc = dbg_session_open(s, keep.image, keep.open_mode);
	if (rc)
		return rc;
	if (s->rec)
		dbg_record(s, "start");
	dbg_status(s, 0, "restarted %s: a fresh machine, %d breakpoint%s kept",
		   basename(s->image), s->bps.n, s->bps.n == 1 ? "" : "s");
	return 0;
}

int dbg_read_phys(struct dbg_session *s, uint64_t gpa, void *buf, size_t len,
		  char *err, size_t errlen)
{
	if (!s->vm) {
		snprintf(err, errlen, "replay: guest memory was not recorded");
		return -ENODATA;
	}
	if (mvm_memmap_read(mvm_vm_mem(s->vm), gpa, buf, len) == 0)
		return 0;
	snprintf(err, errlen,
		 "0x%llx+%zu is not guest RAM (no memory slot covers it)",
		 (unsigned long long)gpa, len);
	return -EFAULT;
}

int dbg_translate(struct dbg_session *s, uint64_t gva, uint64_t *gpa, char *err,
		  size_t errlen)
{
	const struct kvm_sregs *sr = &s->cur.sregs;
	if (!(sr->cr0 & MVM_CR0_PG)) {
		*gpa = (sr->efer & MVM_EFER_LMA) ? gva : gva & 0xffffffffULL;
		return 0;
	}
	if (!s->vm) {
		snprintf(err, errlen, "replay: page tables were not recorded");
		return -ENODATA;
	}
	struct mvm_pt_walk w;
	if (mvm_pt_walk(mvm_vm_mem(s->vm), sr->cr0, sr->cr3, sr->cr4, sr->efer,
			gva, &w) == 0 &&
	    w.fault == MVM_PT_OK) {
		*gpa = w.gpa;
		return 0;
	}
	snprintf(err, errlen, "0x%llx does not translate: %s%s%s",
		 (unsigned long long)gva, mvm_pt_fault_name(w.fault),
		 w.why[0] ? ": " : "", w.why);
	return -EFAULT;
}

/* Replay knows only the recorded bytes around RIP. */
static int read_codewin(struct dbg_session *s, uint64_t va, void *buf,
			size_t len, char *err, size_t errlen)
{
	const struct dbg_codewin *c = &s->code;
	if (va >= c->addr && va - c->addr <= c->len &&
	    len <= c->len - (va - c->addr)) {
		memcpy(buf, c->bytes + (va - c->addr), len);
		return 0;
	}
	snprintf(err, errlen,
		 "replay: only the code bytes around RIP were "
		 "recorded, not 0x%llx",
		 (unsigned long long)va);
	return -ENODATA;
}

int dbg_read_virt(struct dbg_session *s, uint64_t gva, void *buf, size_t len,
		  char *err, size_t errlen)
{
	if (!s->vm)
		return read_codewin(s, gva, buf, len, err, errlen);
	/* Page by page: consecutive virtual pages need not be
	 * consecutive in guest-physical memory. */
	uint8_t *p = buf;
	while (len) {
		size_t chunk = PAGE - (gva & (PAGE - 1));
		if (chunk > len)
			chunk = len;
		uint64_t gpa;
		int rc = dbg_translate(s, gva, &gpa, err, errlen);
		if (!rc)
			rc = dbg_read_phys(s, gpa, p, chunk, err, errlen);
		if (rc)
			return rc;
		p += chunk, gva += chunk, len -= chunk;
	}
	return 0;
}

/* Read the bytes around the linear pc into s->code; the part before pc
 * is optional (it may be unmapped) and so is the tail of the window. */
static void refresh_code(struct dbg_session *s)
{
	char err[160];
	uint64_t pc = dbg_linear_pc(&s->cur);
	struct dbg_codewin *c = &s->code;
	uint64_t before = pc >= DBG_CODE_BEFORE ? DBG_CODE_BEFORE : pc;
	c->addr = pc - before;
	c->len = 0;
	if (dbg_read_virt(s, c->addr, c->bytes, before, err, sizeof(err)))
		c->addr = pc, before = 0;
	size_t after = DBG_CODE_AFTER;
	while (after &&
	       dbg_read_virt(s, pc, c->bytes + before, after, err, sizeof(err)))
		after = after > 16 ? after - 16 : 0;
	c->len = (uint32_t)(before + after);
}

/* The registers after a step cost no system call: KVM copied them into
 * kvm_run with the exit, and the library reads them from there
 * (mvm_vcpu_set_sync_regs, vm.h). */
int dbg_session_refresh(struct dbg_session *s)
{
	if (!s->vm)
		return 0; /* replay sets cur and code from the trace */
	int rc = mvm_vcpu_get_regs(s->vcpu, &s->cur.regs);
	if (!rc)
		rc = mvm_vcpu_get_sregs(s->vcpu, &s->cur.sregs);
	if (rc) {
		dbg_status(s, 1, "cannot read registers: %s", strerror(-rc));
		return rc;
	}
	refresh_code(s);
	dbg_session_note_pc(s);
	return 0;
}

void dbg_session_note_pc(struct dbg_session *s)
{
	struct dbg_known *k = &s->known;
	uint64_t pc = dbg_linear_pc(&s->cur);
	if (k->n && k->pc[k->n - 1] == pc)
		return;
	if (k->n == DBG_KNOWN_MAX) /* forget the oldest */
		memmove(k->pc, k->pc + 1,
			(DBG_KNOWN_MAX - 1) * sizeof(k->pc[0]));
	else
		k->n++;
	k->pc[k->n - 1] = pc;
}

unsigned dbg_mode_sig(const struct kvm_sregs *sr)
{
	return (unsigned)((sr->cr0 & MVM_CR0_PE) ? 1 : 0) |
	       ((sr->cr0 & MVM_CR0_PG) ? 2u : 0) |
	       ((sr->efer & MVM_EFER_LMA) ? 4u : 0);
}
