/*
 * vcpu.c - one virtual CPU: creation, registers and the run deadline.
 *
 * A vCPU is a file descriptor from KVM_CREATE_VCPU plus a shared page,
 * struct kvm_run, that KVM_RUN fills on every exit (Documentation/virt/
 * kvm/api.rst 4.7 and 5). Before the guest can use CPUID the VMM must
 * hand KVM a CPUID table (KVM_SET_CPUID2, 4.20); without one every leaf
 * reads zero. We give the guest what KVM_GET_SUPPORTED_CPUID says the
 * host can virtualize, with this vCPU's APIC ID filled in.
 *
 * Registers come back with the exit. Each register ioctl is a system
 * call, and on a nested KVM backend a system call costs about as much as
 * a whole single step, so a debugger that read RIP and CR0 after every
 * step with KVM_GET_REGS and KVM_GET_SREGS ran at a third of the speed
 * KVM can step. KVM_CAP_SYNC_REGS (api.rst 5, "kvm_valid_regs") lets the
 * VMM ask KVM to copy the general registers, the segment and control
 * registers and the pending events into kvm_run->s.regs on an exit
 * (asked for where they will be read, run.c).
 * The accessors below read that copy while it is current (`cached`) and
 * fall back to the ioctl otherwise, or on a KVM without the capability
 * (then the ioctl's answer is kept there until the next run or write).
 *
 * Writes go straight to KVM with the ioctl and drop the copy, so the next
 * read asks KVM. KVM could take writes through kvm_run too (kvm_dirty_regs:
 * applied at the next KVM_RUN), but then a state KVM refuses would fail
 * at that KVM_RUN, not at the call that set it, what KVM changes on the
 * way in (KVM_SET_SREGS may clear bits) would stay hidden, and raw
 * ioctls on mvm_vcpu_fd() would see old values. Reads are what stepping
 * does per instruction; writes are rare.
 *
 * Getting a vCPU out of KVM_RUN (the deadline, kicks, the HLT wait) is
 * in kick.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define CPUID_MAX_ENTRIES 256

/* The parts of the vCPU's state we ask KVM to copy into kvm_run. */
#define SYNC_WANTED \
	(KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS)

/* CPUID leaf 1 EBX[31:24] and leaf 0xB EDX hold the initial APIC ID
 * (Intel SDM Vol. 2A, CPUID). */
static void set_apic_id(struct kvm_cpuid2 *c, int index)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffffu) |
				 ((uint32_t)index << 24);
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = (uint32_t)index;
	}
}

/* Hide features this backend lists but cannot run (quirks.h): the
 * symptoms are a triple fault on the first 1 GiB page (NO_1G_PAGES) and
 * an emulation failure on cmpxchg16b (NO_CMPXCHG16B). Bits per Intel SDM
 * Vol. 2A, CPUID: 80000001H EDX[26] Page1GB, 01H ECX[13] CX16. */
static void hide_features(struct kvm_cpuid2 *c, unsigned quirks)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 0x80000001 &&
		    (quirks & MVM_QUIRK_NO_1G_PAGES))
			e->edx &= ~MVM_CPUID_80000001_EDX_PAGE1GB;
		if (e->function == 1 && (quirks & MVM_QUIRK_NO_CMPXCHG16B))
			e->ecx &= ~MVM_CPUID_01_ECX_CX16;
	}
}

static int set_cpuid(struct mvm_vcpu *vcpu)
{
	struct kvm_cpuid2 *c;
	int r = 0;

	c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES *
					   sizeof(struct kvm_cpuid_entry2));
	if (!c)
		return -ENOMEM;
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(vcpu->vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		r = -errno;
		mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
			 "KVM_GET_SUPPORTED_CPUID: %s", strerror(-r));
		goto out;
	}
	set_apic_id(c, vcpu->index);
	hide_features(c, vcpu->vm->backend.quirks);
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0) {
		r = -errno;
		mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
			 "KVM_SET_CPUID2 on vCPU %d: %s", vcpu->index,
			 strerror(-r));
	}
out:
	free(c);
	return r;
}

/* With the in-kernel irqchip only vCPU 0 (the bootstrap processor) starts
 * running; the others wait for INIT-SIPI (Intel SDM Vol. 3A 9.4). Our
 * guests do not send SIPIs, so make every vCPU runnable at once. */
static int make_runnable(struct mvm_vcpu *vcpu)
{
	struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_RUNNABLE};

	if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0) {
		int err = errno;

		mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
			 "KVM_SET_MP_STATE on vCPU %d: %s", vcpu->index,
			 strerror(err));
		return -err;
	}
	return 0;
}

/* Map the vCPU's kvm_run. KVM_GET_VCPU_MMAP_SIZE is larger than struct
 * kvm_run: the pages after it hold, for example, the data of a port I/O
 * exit at kvm_run->io.data_offset (api.rst 4.5 and 5). */
static int map_run(struct mvm_vcpu *vcpu)
{
	int size = ioctl(vcpu->vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	void *p;

	if (size < (int)sizeof(struct kvm_run))
		return size < 0 ? -errno : -EINVAL;
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 vcpu->fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	vcpu->run = p;
	vcpu->run_size = (size_t)size;
	return 0;
}

/* Create vCPU `index` (its APIC ID). *out is set even on failure, so
 * the caller's mvm_vm_destroy() frees whatever was built. */
int mvm_vcpu_create(struct mvm_vm *vm, int index, struct mvm_vcpu **out)
{
	struct mvm_vcpu *vcpu = calloc(1, sizeof(*vcpu));
	int r;

	*out = vcpu;
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->index = index;
	vcpu->wake_fd = -1;
	mvm_trace_init(&vcpu->trace, 0);
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, index);
	if (vcpu->fd < 0) {
		r = -errno;
		mvm_logf(&vm->log, MVM_LOG_ERROR, "KVM_CREATE_VCPU %d: %s",
			 index, strerror(-r));
		return r;
	}
	r = map_run(vcpu);
	if (r < 0) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "mapping kvm_run of vCPU %d: %s", index, strerror(-r));
		return r;
	}
	/* The capability's value is the set of parts KVM can copy. */
	vcpu->sync = (unsigned)mvm_kvm_check_cap(vm->fd, KVM_CAP_SYNC_REGS) &
		     SYNC_WANTED;
	r = set_cpuid(vcpu);
	if (r == 0 && index > 0 && (vm->flags & MVM_VM_IRQCHIP))
		r = make_runnable(vcpu);
	return r;
}

void mvm_vcpu_destroy(struct mvm_vcpu *vcpu)
{
	if (!vcpu)
		return;
	mvm_vcpu_kick_release(vcpu);
	if (vcpu->run) {
		munmap(vcpu->run, vcpu->run_size);
	}
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	free(vcpu);
}

/* --- accessors and registers ------------------------------------------- */

int mvm_vcpu_index(const struct mvm_vcpu *vcpu)
{
	return vcpu->index;
}

int mvm_vcpu_fd(const struct mvm_vcpu *vcpu)
{
	return vcpu->fd;
}

struct mvm_vm *mvm_vcpu_vm(struct mvm_vcpu *vcpu)
{
	return vcpu->vm;
}

struct kvm_run *mvm_vcpu_kvm_run(struct mvm_vcpu *vcpu)
{
	return vcpu->run;
}

struct mvm_trace *mvm_vcpu_trace(struct mvm_vcpu *vcpu)
{
	return &vcpu->trace;
}

/* The register ioctls use KVM's own structs (api.rst 4.11-4.14), so what a
 * student prints is exactly what the API document describes. */
static int vcpu_ioctl(struct mvm_vcpu *vcpu, unsigned long req, void *arg)
{
	return ioctl(vcpu->fd, req, arg) < 0 ? -errno : 0;
}

/* Read one part of the state (`bit`, a KVM_SYNC_X86_* flag): kvm_run's
 * copy `copy` while it is current, else the ioctl, whose answer becomes
 * the copy the next read uses (also without the capability: then the
 * first read after each exit is the one ioctl). */
static int get_part(struct mvm_vcpu *vcpu, unsigned bit, unsigned long req,
		    void *dst, void *copy, size_t size)
{
	int r;

	vcpu->regs_read = 1; /* so the next exit brings a copy (run.c) */
	if (vcpu->cached & bit) {
		memcpy(dst, copy, size);
		return 0;
	}
	r = vcpu_ioctl(vcpu, req, dst);
	if (r == 0) {
		memcpy(copy, dst, size);
		vcpu->cached |= bit;
	}
	return r;
}

/* Write one part: to KVM, and forget the copy (see the top of the file). */
static int set_part(struct mvm_vcpu *vcpu, unsigned bit, unsigned long req,
		    const void *src)
{
	vcpu->cached &= ~bit;
	return vcpu_ioctl(vcpu, req, (void *)src);
}

int mvm_vcpu_get_regs(struct mvm_vcpu *vcpu, struct kvm_regs *regs)
{
	return get_part(vcpu, KVM_SYNC_X86_REGS, KVM_GET_REGS, regs,
			&vcpu->run->s.regs.regs, sizeof(*regs));
}

int mvm_vcpu_set_regs(struct mvm_vcpu *vcpu, const struct kvm_regs *regs)
{
	return set_part(vcpu, KVM_SYNC_X86_REGS, KVM_SET_REGS, regs);
}

int mvm_vcpu_get_sregs(struct mvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	return get_part(vcpu, KVM_SYNC_X86_SREGS, KVM_GET_SREGS, sregs,
			&vcpu->run->s.regs.sregs, sizeof(*sregs));
}

int mvm_vcpu_set_sregs(struct mvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	return set_part(vcpu, KVM_SYNC_X86_SREGS, KVM_SET_SREGS, sregs);
}

int mvm_vcpu_get_events(struct mvm_vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	return get_part(vcpu, KVM_SYNC_X86_EVENTS, KVM_GET_VCPU_EVENTS, ev,
			&vcpu->run->s.regs.events, sizeof(*ev));
}

int mvm_vcpu_set_events(struct mvm_vcpu *vcpu, const struct kvm_vcpu_events *ev)
{
	return set_part(vcpu, KVM_SYNC_X86_EVENTS, KVM_SET_VCPU_EVENTS, ev);
}

void mvm_vcpu_forget_regs(struct mvm_vcpu *vcpu)
{
	vcpu->cached = 0;
}

int mvm_vcpu_set_sync_regs(struct mvm_vcpu *vcpu, int on)
{
	unsigned cap =
		(unsigned)mvm_kvm_check_cap(vcpu->vm->fd, KVM_CAP_SYNC_REGS);

	if (on && (cap & SYNC_WANTED) == 0)
		return -EOPNOTSUPP;
	vcpu->sync = on ? cap & SYNC_WANTED : 0;
	vcpu->cached = 0;
	return 0;
}

int mvm_vcpu_sync_regs(const struct mvm_vcpu *vcpu)
{
	return vcpu->sync != 0;
}
