/*
 * internal.h - the library's private structures, shared by its .c files.
 *
 * Programs see struct mvm_vm and struct mvm_vcpu only as opaque pointers
 * (vm.h); the fields are here so that each concept (memory, the run step,
 * modes, ...) can live in its own short file.
 */
#ifndef MINIVMM_INTERNAL_H
#define MINIVMM_INTERNAL_H

#include <linux/kvm.h>
#include <stdint.h>

#include "minivmm/minivmm.h"

struct mvm_vcpu {
	struct mvm_vm *vm;	 /* owner */
	int index;		 /* 0 .. ncpus - 1 */
	int fd;			 /* from KVM_CREATE_VCPU; -1 if not yet */
	struct kvm_run *run;	 /* shared page(s) mmap'ed from fd */
	size_t run_size;	 /* KVM_GET_VCPU_MMAP_SIZE */
	struct mvm_trace trace;	 /* recent exits and counters */
	uint64_t deadline_ns;	 /* CLOCK_MONOTONIC; 0 = none */
	int timer_armed;	 /* a POSIX timer is pending for this vCPU */
	void *timer;		 /* timer_t, kept opaque here */
	int timer_tid;		 /* thread the timer signals; 0 = no timer */
	int bound_tid;		 /* thread that runs it (kick.c); atomic */
	int kicked;		 /* mvm_vcpu_kick() pending; atomic */
	int wake_fd;		 /* eventfd for the HLT wait; -1 = none */
	enum mvm_hlt_policy hlt; /* what a HLT exit does */
	mvm_pre_entry_fn *pre_entry; /* called before each KVM_RUN */
	void *pre_entry_ctx;	     /* its argument */
	mvm_runner_fn *runner;	     /* instead of KVM_RUN, or NULL */
	void *runner_ctx;	     /* its argument */
	unsigned debug_flags; /* KVM_GUESTDBG_* last set; 0 = not debugged */
	unsigned sync;	      /* KVM_SYNC_X86_* KVM copies to kvm_run on exit */
	unsigned cached;    /* of those, the ones kvm_run holds now (vcpu.c) */
	int regs_read;	    /* an accessor read them since the last run */
	unsigned unclaimed; /* unclaimed accesses logged so far */
};

/* One MSR handler's range (msr.c). */
struct mvm_msr_range {
	uint32_t first; /* first MSR index */
	uint32_t count; /* MSRs in the range */
	mvm_msr_fn *fn; /* the handler */
	void *ctx;	/* its argument */
};

struct mvm_vm {
	struct mvm_log log;    /* where messages go */
	int kvm_fd;	       /* /dev/kvm */
	int fd;		       /* from KVM_CREATE_VM */
	unsigned flags;	       /* MVM_VM_* */
	uint64_t ram_size;     /* bytes at GPA 0 (slot 0) */
	uint8_t *ram;	       /* host address of GPA 0 */
	struct mvm_memmap mem; /* slots, mirrored to KVM */
	struct mvm_bus pio;    /* port I/O devices */
	struct mvm_bus mmio;   /* MMIO devices */
	mvm_msr_fn *msr_fn;    /* default MSR handler, or NULL (msr.c) */
	void *msr_ctx;	       /* passed to msr_fn */
	int user_msr;	       /* KVM_CAP_X86_USER_SPACE_MSR enabled */
	int dirty_manual;      /* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 on */
	int nmsr;	       /* entries used in msr[] */
	struct mvm_msr_range msr[MVM_MSR_HANDLERS_MAX]; /* by range */
	struct {
		uint64_t cr3;  /* long-mode tables built; 0 = none */
		uint64_t page; /* their page size */
		uint64_t map;  /* and map size (0 = default) */
	} pt;		       /* shared by all vCPUs (modes.c) */
	int ncpus;	       /* entries used in vcpu[] */
	struct mvm_vcpu *vcpu[MVM_MAX_VCPUS];
	/* The KVM backend and its quirks, found at creation (quirks.h). */
	struct mvm_backend backend;
};

/* vCPU creation and teardown, called by mvm_vm_create/destroy (vcpu.c).
 * mvm_vcpu_destroy accepts a half-built vCPU and NULL. */
int mvm_vcpu_create(struct mvm_vm *vm, int index, struct mvm_vcpu **out);
void mvm_vcpu_destroy(struct mvm_vcpu *vcpu);
/* kick.c: make the calling thread the vCPU's runner (blocks the kick
 * signal here, KVM unblocks it during KVM_RUN); drop kicks that are
 * pending in this thread; free the timer and wake fd; wait in HLT. */
int mvm_vcpu_bind_thread(struct mvm_vcpu *vcpu);
void mvm_vcpu_drain_kicks(void);
void mvm_vcpu_unbind_thread(struct mvm_vcpu *vcpu);
void mvm_vcpu_kick_release(struct mvm_vcpu *vcpu);
void mvm_vcpu_hlt_wait(struct mvm_vcpu *vcpu);

/* The vCPU's pending events (KVM_GET/SET_VCPU_EVENTS), from kvm_run
 * when the last exit left them there (vcpu.c). 0 or -errno. */
int mvm_vcpu_get_events(struct mvm_vcpu *vcpu, struct kvm_vcpu_events *ev);
int mvm_vcpu_set_events(struct mvm_vcpu *vcpu,
			const struct kvm_vcpu_events *ev);

/* Deliver `int n` as a software interrupt after skipping `skip` bytes
 * (debug.c; the int n fix-up in exit.c). */
int mvm_vcpu_inject_soft_int(struct mvm_vcpu *vcpu, unsigned vector,
			     unsigned skip);

/* One VM ioctl: 0, or -errno with a log line naming `what` (vm.c). */
int mvm_vm_ioctl(struct mvm_vm *vm, unsigned long req, void *arg,
		 const char *what);

/* KVM_CLEAR_DIRTY_LOG for pages [first, first + n) of slot index slot,
 * those set in bm (dirty_iter.c). 0 or -errno. */
int mvm_dirty_clear(struct mvm_vm *vm, int slot, uint64_t first, uint64_t n,
		    uint64_t *bm);

/* The MSR handler for index (msr.c); NULL if none. */
mvm_msr_fn *mvm_msr_lookup(const struct mvm_vm *vm, uint32_t index, void **ctx);

/* Exit handling split out of run.c (dispatch to the bus, defaults). */
void mvm_exit_decode(struct mvm_vcpu *vcpu, struct mvm_exit *exit);
void mvm_exit_dispatch(struct mvm_vcpu *vcpu, struct mvm_exit *exit);

#endif
