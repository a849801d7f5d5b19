/*
 * emu.c - the interpreter as the vCPU's runner (emu.h): one call does
 * what one KVM_RUN does.
 *
 *   1. read the registers from KVM (KVM_GET_REGS, KVM_GET_SREGS);
 *   2. fetch, decode, execute, count, until an instruction needs the VMM
 *      (port I/O, MMIO, HLT), one is outside the subset, or a kick or
 *      the deadline is due (checked every EMU_POLL instructions, where
 *      KVM would be interrupted by a signal);
 *   3. write the registers back to KVM and return, with the exit in
 *      kvm_run for the run step to decode and dispatch (run.c).
 *
 * Memory: an access that falls in a RAM slot goes straight to the slot's
 * host memory (writes marked dirty, memory.h); anything else, or a write
 * to a read-only slot, is an MMIO exit, exactly where KVM would make one.
 * The memory map only changes while the vCPU is parked (machine.h rule
 * 1), so the slot found last is cached for the rest of the call.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_internal.h"
#include "machine/machine_internal.h"

/* Instructions between two looks at the kick flag and the deadline. */
#define EMU_POLL 4096

/* Where KVM puts port I/O data in the kvm_run mapping (asm/kvm.h). */
#define EMU_PIO_OFFSET (KVM_PIO_PAGE_OFFSET * 4096u)

enum emu_result mvm_emu_fail(struct mvm_emu *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->error, sizeof(e->error), fmt, ap);
	va_end(ap);
	return EMU_BAD;
}

/* --- registers ------------------------------------------------------------ */

uint16_t mvm_emu_reg(const struct mvm_emu *e, int w, int r)
{
	if (w == 2)
		return (uint16_t)e->r[r];
	/* AL CL DL BL, then AH CH DH BH: the high bytes of the first four */
	return r < 4 ? (uint8_t)e->r[r] : (uint8_t)(e->r[r - 4] >> 8);
}

void mvm_emu_set_reg(struct mvm_emu *e, int w, int r, uint16_t v)
{
	if (w == 2)
		e->r[r] = (e->r[r] & ~0xffffULL) | v;
	else if (r < 4)
		e->r[r] = (e->r[r] & ~0xffULL) | (uint8_t)v;
	else
		e->r[r - 4] = (e->r[r - 4] & ~0xff00ULL) | (uint64_t)(v & 0xff)
								   << 8;
}

/* Real mode: the segment's base is selector * 16 (SDM Vol. 3A 20.1.1). */
void mvm_emu_set_seg(struct mvm_emu *e, int s, uint16_t sel)
{
	e->s[s].sel = sel;
	e->s[s].base = (uint32_t)sel << 4;
	e->segs_dirty = 1;
}

static struct kvm_segment *kseg(struct kvm_sregs *s, int i)
{
	struct kvm_segment *all[EMU_SEGS] = {&s->es, &s->cs, &s->ss,
					     &s->ds, &s->fs, &s->gs};
	return all[i];
}

/* kvm_regs in ModRM order: AX CX DX BX SP BP SI DI. */
static __u64 *kreg(struct kvm_regs *r, int i)
{
	__u64 *all[EMU_GPRS] = {&r->rax, &r->rcx, &r->rdx, &r->rbx,
				&r->rsp, &r->rbp, &r->rsi, &r->rdi};
	return all[i];
}

static int load_state(struct mvm_emu *e)
{
	int rc = mvm_vcpu_get_regs(e->vcpu, &e->regs);

	if (rc == 0)
		rc = mvm_vcpu_get_sregs(e->vcpu, &e->sregs);
	if (rc < 0)
		return rc;
	for (int i = 0; i < EMU_GPRS; i++)
		e->r[i] = *kreg(&e->regs, i);
	for (int i = 0; i < EMU_SEGS; i++) {
		e->s[i].sel = kseg(&e->sregs, i)->selector;
		e->s[i].base = (uint32_t)kseg(&e->sregs, i)->base;
	}
	e->ip = (uint16_t)e->regs.rip;
	e->flags = (uint32_t)e->regs.rflags;
	e->segs_dirty = 0;
	e->slot = NULL;
	return 0;
}

static int save_state(struct mvm_emu *e)
{
	int rc;

	for (int i = 0; i < EMU_GPRS; i++)
		*kreg(&e->regs, i) = e->r[i];
	e->regs.rip = e->ip;
	e->regs.rflags = (e->regs.rflags & ~0xffffffffULL) | e->flags;
	rc = mvm_vcpu_set_regs(e->vcpu, &e->regs);
	if (rc == 0 && e->segs_dirty) {
		for (int i = 0; i < EMU_SEGS; i++) {
			kseg(&e->sregs, i)->selector = e->s[i].sel;
			kseg(&e->sregs, i)->base = e->s[i].base;
		}
		rc = mvm_vcpu_set_sregs(e->vcpu, &e->sregs);
	}
	/* With tracing on the run step reads RIP from here (run.c). */
	if (e->run->kvm_valid_regs & KVM_SYNC_X86_REGS)
		e->run->s.regs.regs = e->regs;
	return rc;
}

/* --- memory ---------------------------------------------------------------- */

/* Host bytes for [gpa, gpa + len) if that is RAM (writable RAM for a
 * write), else NULL: the access is MMIO. */
static uint8_t *ram(struct mvm_emu *e, uint64_t gpa, int len, int write)
{
	const struct mvm_slot *s = e->slot;

	if (!s || gpa < s->gpa || gpa - s->gpa > s->size - (uint64_t)len)
		s = e->slot = mvm_memmap_find(e->mem, gpa);
	if (!s || gpa - s->gpa > s->size - (uint64_t)len ||
	    (write && (s->flags & MVM_MEM_READONLY)))
		return NULL;
	return s->hva + (gpa - s->gpa);
}

int mvm_emu_fetch(struct mvm_emu *e, uint16_t off)
{
	uint8_t *p = ram(e, e->s[S_CS].base + off, 1, 0);

	return p ? *p : -1;
}

static void mmio_exit(struct mvm_emu *e, uint64_t gpa, int len, int write,
		      uint16_t v)
{
	e->run->exit_reason = KVM_EXIT_MMIO;
	e->run->mmio.phys_addr = gpa;
	e->run->mmio.len = (uint32_t)len;
	e->run->mmio.is_write = (uint8_t)write;
	memset(e->run->mmio.data, 0, sizeof(e->run->mmio.data));
	memcpy(e->run->mmio.data, &v, (size_t)len); /* little-endian */
}

enum emu_result mvm_emu_read(struct mvm_emu *e, int seg, uint16_t off, int len,
			     uint16_t *v)
{
	uint64_t gpa = e->s[seg].base + off;
	uint8_t *p = ram(e, gpa, len, 0);

	if (p) {
		*v = len == 1 ? p[0] : (uint16_t)(p[0] | p[1] << 8);
		return EMU_NEXT;
	}
	if (e->pending == PEND_MMIO && e->pend_addr == gpa &&
	    e->pend_len == (uint32_t)len) { /* the VMM's answer */
		*v = 0;
		memcpy(v, e->run->mmio.data, (size_t)len);
		e->pending = PEND_NONE;
		return EMU_NEXT;
	}
	mmio_exit(e, gpa, len, 0, 0);
	e->pending = PEND_MMIO;
	e->pend_addr = gpa;
	e->pend_len = (uint32_t)len;
	return EMU_EXIT;
}

enum emu_result mvm_emu_write(struct mvm_emu *e, int seg, uint16_t off, int len,
			      uint16_t v)
{
	uint64_t gpa = e->s[seg].base + off;
	uint8_t *p = ram(e, gpa, len, 1);

	if (!p) {
		mmio_exit(e, gpa, len, 1, v);
		return EMU_EXIT;
	}
	p[0] = (uint8_t)v;
	if (len == 2)
		p[1] = (uint8_t)(v >> 8);
	mvm_memmap_mark_dirty(e->mem, gpa, (uint64_t)len);
	return EMU_NEXT;
}

/* --- port I/O --------------------------------------------------------------- */

static uint8_t *io_exit(struct mvm_emu *e, uint16_t port, int len, int out)
{
	struct kvm_run *run = e->run;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.size = (uint8_t)len;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = EMU_PIO_OFFSET;
	return (uint8_t *)run + EMU_PIO_OFFSET;
}

enum emu_result mvm_emu_out(struct mvm_emu *e, uint16_t port, int len,
			    uint16_t v)
{
	memcpy(io_exit(e, port, len, 1), &v, (size_t)len);
	return EMU_EXIT;
}

enum emu_result mvm_emu_in(struct mvm_emu *e, uint16_t port, int len,
			   uint16_t *v)
{
	if (e->pending == PEND_IN && e->pend_addr == port &&
	    e->pend_len == (uint32_t)len) {
		*v = 0;
		memcpy(v, (uint8_t *)e->run + EMU_PIO_OFFSET, (size_t)len);
		e->pending = PEND_NONE;
		return EMU_NEXT;
	}
	io_exit(e, port, len, 0);
	e->pending = PEND_IN;
	e->pend_addr = port;
	e->pend_len = (uint32_t)len;
	return EMU_EXIT;
}

/* --- the runner --------------------------------------------------------------- */

static int due(const struct mvm_vcpu *vcpu)
{
	return __atomic_load_n(&vcpu->kicked, __ATOMIC_SEQ_CST) ||
	       (vcpu->deadline_ns && mvm_now_ns() >= vcpu->deadline_ns);
}

/* Outside the subset: stop as KVM does when its emulator gives up. */
static void internal_error(struct mvm_emu *e)
{
	e->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	e->run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	e->run->internal.ndata = 0;
	mvm_logf(&e->vcpu->vm->log, MVM_LOG_ERROR, "emulator: %s", e->error);
}

/* Fetch, decode, execute until an exit (0) or a kick/deadline (-EINTR). */
static int interpret(struct mvm_emu *e)
{
	struct insn in;
	enum emu_result r;

	for (unsigned n = 1;; n++) {
		if (n % EMU_POLL == 0 && due(e->vcpu))
			return -EINTR;
		r = mvm_emu_decode(e, &in);
		if (r == EMU_NEXT)
			r = mvm_emu_execute(e, &in);
		if (r != EMU_BAD && e->pending == PEND_NONE)
			e->insns++;
		if (r == EMU_EXIT)
			return 0;
		if (r == EMU_BAD) {
			internal_error(e);
			return 0;
		}
	}
}

/* [slide:emu-runner] */
static int emu_run(void *ctx, struct mvm_vcpu *vcpu, struct kvm_run *run)
{
	struct mvm_emu *e = ctx;
	uint64_t t0 = mvm_now_ns();
	int rc = load_state(e), saved;

	(void)vcpu;
	(void)run;
	if (rc < 0)
		return rc;
	e->error[0] = '\0';
	if (e->sregs.cr0 & MVM_CR0_PE) {
		mvm_emu_fail(e, "the interpreter runs real-mode code only "
				"(CR0.PE is set)");
		internal_error(e);
	} else {
		rc = interpret(e);
	}
	saved = save_state(e);
	e->ns += mvm_now_ns() - t0;
	return rc < 0 ? rc : saved;
}
/* [/slide:emu-runner] */

int mvm_emu_attach(struct mvm_machine *m, int index, struct mvm_emu **out)
{
	struct mvm_vcpu *vcpu = m ? mvm_machine_vcpu(m, index) : NULL;
	struct mvm_emu *e;

	if (!vcpu || !out)
		return -EINVAL;
	if (__atomic_load_n(&m->started, __ATOMIC_ACQUIRE))
		return -EBUSY;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->vcpu = vcpu;
	e->mem = mvm_vm_mem(mvm_machine_vm(m));
	e->run = vcpu->run;
	mvm_vcpu_set_runner(vcpu, emu_run, e);
	*out = e;
	return 0;
}

void mvm_emu_destroy(struct mvm_emu *e)
{
	if (!e)
		return;
	mvm_vcpu_set_runner(e->vcpu, NULL, NULL);
	free(e);
}

uint64_t mvm_emu_insns(const struct mvm_emu *e)
{
	return e->insns;
}

uint64_t mvm_emu_ns(const struct mvm_emu *e)
{
	return e->ns;
}

const char *mvm_emu_error(const struct mvm_emu *e)
{
	return e->error;
}
