/*
 * machine.h - one whole machine from one config: the machine layer.
 *
 * A VM (vm.h) is KVM's object: memory slots, vCPUs, two empty buses. A
 * *machine* is what a user runs: RAM, an interrupt controller, the
 * devices, an image in memory and every vCPU in its CPU mode. Every tool
 * builds its machine here (STYLE.md 14): `mvm run`, the debugger, the
 * labs and the test fixture describe the machine they want in a struct
 * mvm_machine_config and get it from mvm_machine_create(), so the same
 * guest sees the same devices and gives the same exits in all of them.
 *
 *   mvm_machine_create()     VM + RAM + irqchip + devices (+ image, mode)
 *   mvm_machine_load()       load an image, put every vCPU in its mode
 *   mvm_machine_step()       one exit of one vCPU, classified (no threads)
 *   mvm_machine_run()        steps until the run is over (no threads)
 *   mvm_machine_start()      one thread per vCPU, then pause / resume /
 *                            wait / stop (see "Threads" below)
 *   mvm_machine_destroy()    everything, in reverse
 *
 * How a run ends is decided in one place, mvm_machine_classify(): a
 * ucall DONE or a HLT is success, ASSERT and fatal exits are failure,
 * SYNC and ordinary exits go on.
 *
 * Threads - the locking model (the whole of it):
 *
 *   1. The memory map, both buses and the MSR handler table change only
 *      while no vCPU runs: before mvm_machine_start(), or inside
 *      mvm_machine_paused() (any thread, vCPU threads included, may ask
 *      for it; it parks every other vCPU out of KVM_RUN first). vCPU
 *      threads read them without locks.
 *   2. Each device guards its own state with its own lock: vCPU threads
 *      and device threads call into it at the same time.
 *   3. machine->lock guards only the thread bookkeeping (who runs, who is
 *      parked, who finished, pause requests); it is never held across
 *      KVM_RUN or a device call.
 *   4. A vCPU is driven by one thread at a time: its own thread after
 *      mvm_machine_start(), else the caller of mvm_machine_step().
 *      Registers, state and traces of a vCPU are read by other threads
 *      only while it is parked (paused, finished or never started).
 *   5. Log callbacks and output callbacks may be called from any vCPU
 *      thread; the library serialises calls to one log (log.c), output
 *      callbacks must be thread-safe themselves when ncpus > 1.
 *
 * mvm_machine_pause() also calls the pause hooks of device threads
 * (mvm_machine_add_pause_hook()), so a paused machine is quiet: nothing
 * writes guest memory, which is what a snapshot or a migration needs.
 */
#ifndef MINIVMM_MACHINE_H
#define MINIVMM_MACHINE_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#include "devices.h"
#include "irq.h"
#include "exit.h"
#include "loader.h"
#include "log.h"
#include "modes.h"
#include "vm.h"

struct mvm_machine;
struct mvm_cmos;
struct mvm_hcall_dev;
struct mvm_labmsr;

/* Interrupt controller of the machine. */
enum mvm_irqchip {
	MVM_IRQCHIP_NONE,   /* no interrupts (the first labs) */
	MVM_IRQCHIP_USER,   /* a user-space controller plugs in (Lab 3) */
	MVM_IRQCHIP_KERNEL, /* KVM's PIC + IOAPIC + LAPIC and PIT */
};

/*
 * How interrupts travel on an MVM_IRQCHIP_KERNEL machine (irq_flags).
 * The third delivery path of Lab 3: with MVM_MIRQ_IRQFD every device line
 * is an irqfd (irq.h), so a device thread's write to an eventfd becomes
 * an interrupt inside KVM with no exit and no VMM code on the way (api.rst
 * 4.75 KVM_IRQFD). MVM_MIRQ_USER_PIT leaves out KVM's 8254: the
 * user-space one (pit.h) attaches and ticks through IRQ 0's line, so the
 * same timer can be compared over the three paths.
 */
#define MVM_MIRQ_IRQFD	  (1u << 0)
#define MVM_MIRQ_USER_PIT (1u << 1)

/* Devices (bit mask). */
#define MVM_MDEV_DEBUGCON (1u << 0)  /* port 0xe9 */
#define MVM_MDEV_UCALL	  (1u << 1)  /* guest -> host calls */
#define MVM_MDEV_UART	  (1u << 2)  /* COM1 8250 */
#define MVM_MDEV_DEMO	  (1u << 3)  /* the exit tour's port, MMIO, MSR */
#define MVM_MDEV_LAB1	  (1u << 4)  /* Lab 1: CMOS, hypercall, lab MSRs */
#define MVM_MDEV_NONE	  (1u << 31) /* none at all (bare tests) */
#define MVM_MDEV_DEFAULT \
	(MVM_MDEV_DEBUGCON | MVM_MDEV_UCALL | MVM_MDEV_UART | MVM_MDEV_DEMO)

/* config.mode: take the CPU mode from the image (ELF64: long, ELF32:
 * protected, flat: real). */
#define MVM_MODE_AUTO (-1)

struct mvm_machine_config {
	uint64_t ram_size;	  /* bytes at GPA 0; 0 = MVM_RAM_DEFAULT */
	int ncpus;		  /* vCPUs; 0 = 1 */
	enum mvm_irqchip irqchip; /* default NONE */
	unsigned irq_flags;	  /* MVM_MIRQ_*, with MVM_IRQCHIP_KERNEL */
	unsigned devices;	  /* MVM_MDEV_*; 0 = MVM_MDEV_DEFAULT */
	unsigned vm_flags;	  /* extra MVM_VM_* (vm.h) */
	const char *image;	  /* ELF or flat image to load; NULL = later */
	unsigned load_flags;	  /* MVM_LOAD_FLAT: a flat image whatever
				     its name (loader.h) */
	int mode;		  /* enum mvm_cpu_mode or MVM_MODE_AUTO */
	uint64_t page_size;	  /* long mode: 4096 or 2 MiB; 0 = 2 MiB */
	uint64_t map_size;	  /* long mode: bytes mapped; 0 = default */
	enum mvm_hlt_policy hlt;  /* default MVM_HLT_STOP */
	int trace;		  /* record every exit (trace.h) */
	mvm_output_fn *out;	  /* guest output; NULL = dropped */
	void *out_ctx;		  /* its argument */
	mvm_demo_mark_fn *mark;	  /* demo marker intervals; may be NULL */
	void *mark_ctx;		  /* its argument */
	struct mvm_log log;	  /* library messages; zero = nowhere */
	/* virtio devices (virtio_devs.h; Lab 4), each on its virtio-mmio
	 * slot (layout.h). */
	unsigned virtio;      /* MVM_VIRTIO_DEV_*; 0 = none */
	const char *disk;     /* virtio-blk's backing file */
	int disk_ro;	      /* the disk refuses writes */
	int virtio_transport; /* MVM_VIRTIO_TRANSPORT_*; 0 = mmio */
	int virtio_plain;     /* 1: every kick exits (no ioeventfd/irqfd) */
};

/* Build the whole machine. 0 and *out, or -errno with the log saying
 * which part failed (and *out NULL: nothing is left behind). */
int mvm_machine_create(const struct mvm_machine_config *cfg,
		       struct mvm_machine **out);
/* Stop threads, free everything; accepts NULL. */
void mvm_machine_destroy(struct mvm_machine *m);

/* Load an image file (ELF, or flat by loader.h's rule: a ".bin" name or
 * MVM_LOAD_FLAT; at MVM_REAL_LOAD_ADDR for real mode, else MVM_LOAD_ADDR)
 * and set every vCPU up in `mode` (or the image's,
 * MVM_MODE_AUTO) at its entry, each with its own stack and TSS. */
int mvm_machine_load(struct mvm_machine *m, const char *path, int mode);
/* The same from memory: a flat image goes to flat_gpa. */
int mvm_machine_load_buf(struct mvm_machine *m, const void *buf, size_t len,
			 uint64_t flat_gpa, int mode);

/* Parts. */
struct mvm_vm *mvm_machine_vm(struct mvm_machine *m);
struct mvm_vcpu *mvm_machine_vcpu(struct mvm_machine *m, int index);
int mvm_machine_ncpus(const struct mvm_machine *m);
const struct mvm_log *mvm_machine_log(const struct mvm_machine *m);
/* What the last load placed where, and the mode it chose. */
const struct mvm_image_info *mvm_machine_image(const struct mvm_machine *m);
enum mvm_cpu_mode mvm_machine_mode(const struct mvm_machine *m);
/* The standard devices (members NULL when not configured). */
const struct mvm_std_devices *mvm_machine_devices(const struct mvm_machine *m);
struct mvm_demo *mvm_machine_demo(struct mvm_machine *m);
/* Lab 1's devices, NULL unless MVM_MDEV_LAB1. */
struct mvm_cmos *mvm_machine_cmos(struct mvm_machine *m);
struct mvm_hcall_dev *mvm_machine_hcall(struct mvm_machine *m);
struct mvm_labmsr *mvm_machine_labmsr(struct mvm_machine *m);

/* --- what devices get: guest memory and interrupt lines ------------------ */

/* GSIs a machine hands out lines for: the IOAPIC's 24 inputs (ISA IRQs
 * 0-15 are GSIs 0-15 under KVM's default routing). */
#define MVM_MACHINE_GSIS 24

/*
 * A device's view of its machine: guest memory through the checked
 * accessor (VMM writes dirty-logged, memory.h) and its interrupt line,
 * which raises/lowers into whatever controller the machine has (irq.h).
 * mvm_machine_dev_ctx() fills it; gsi -1 means no line. -ENODEV when the
 * machine has no interrupt controller (MVM_IRQCHIP_NONE), or a user one
 * that was not installed yet.
 */
struct mvm_irq_line;
struct mvm_irq_sink;
struct mvm_dev_ctx {
	struct mvm_machine *machine; /* the owner */
	struct mvm_memmap *mem;	     /* guest-physical memory accessor */
	struct mvm_irq_line *irq;    /* the device's line, or NULL */
	const struct mvm_log *log;   /* the machine's log */
};
int mvm_machine_dev_ctx(struct mvm_machine *m, int gsi,
			struct mvm_dev_ctx *ctx);
/* The machine's line for gsi (one per GSI, owned by the machine). */
int mvm_machine_irq_line(struct mvm_machine *m, unsigned gsi,
			 struct mvm_irq_line **out);
/* MVM_IRQCHIP_KERNEL: the machine's GSI routing table (gsiroute.h), for
 * MSI routes; made on the first call, which must come before the machine
 * runs (device setup). -ENODEV without the in-kernel irqchip. */
struct mvm_gsi_routes;
int mvm_machine_gsi_routes(struct mvm_machine *m, struct mvm_gsi_routes **out);
/* MVM_IRQCHIP_USER: the user-space interrupt controller lines deliver to
 * (Lab 3's PIC); install it before any line is asked for. */
int mvm_machine_set_irq_sink(struct mvm_machine *m,
			     const struct mvm_irq_sink *sink);
/* Register a device while no vCPU runs (before start, or paused):
 * -EBUSY otherwise. bus: 0 port I/O, 1 MMIO. */
int mvm_machine_add_device(struct mvm_machine *m, int mmio, uint64_t base,
			   uint64_t len, const struct mvm_dev_ops *ops,
			   void *dev);

/* --- how a run ends ------------------------------------------------------ */

enum mvm_verdict {
	MVM_GO_ON,     /* an ordinary exit (or SYNC): keep running */
	MVM_DONE,      /* ucall DONE, HLT (policy STOP) or the STOP marker */
	MVM_FAILED,    /* ucall ASSERT, SHUTDOWN, an error exit */
	MVM_TIMED_OUT, /* the run deadline passed */
	MVM_SYNC,      /* ucall SYNC: a checkpoint; keep running */
	MVM_DEBUG,     /* KVM_EXIT_DEBUG: a debugger decides */
	MVM_VERDICTS
};
const char *mvm_verdict_name(enum mvm_verdict v);

/* Classify one exit of vcpu (rc is what the step returned). The ucall
 * behind a SYNC, DONE or ASSERT stays readable with mvm_ucall_last_of(). */
enum mvm_verdict mvm_machine_classify(struct mvm_machine *m,
				      struct mvm_vcpu *vcpu, int rc,
				      const struct mvm_exit *e);

/* --- single-threaded stepping (the debugger, labs, tests) ---------------- */

/* One run step of vCPU `index` and its verdict. Returns the step's 0 or
 * -errno (-ETIMEDOUT after a deadline: *v is MVM_TIMED_OUT). -EBUSY while
 * the machine's threads are started. */
int mvm_machine_step(struct mvm_machine *m, int index, struct mvm_exit *e,
		     enum mvm_verdict *v);
/* Step vCPU `index` until the verdict is DONE, FAILED, TIMED_OUT or DEBUG
 * (SYNC stops too when stop_at_sync), with a deadline of timeout_ms (0: none).
 * each(ctx, e) sees every exit (may be NULL). Returns the verdict. */
typedef void mvm_exit_cb(void *ctx, struct mvm_vcpu *vcpu,
			 const struct mvm_exit *e);
enum mvm_verdict mvm_machine_run(struct mvm_machine *m, int index,
				 unsigned timeout_ms, int stop_at_sync,
				 mvm_exit_cb *each, void *ctx,
				 struct mvm_exit *last);

/* --- threads -------------------------------------------------------------- */

/* One thread per vCPU, each stepping until its verdict is DONE, FAILED or
 * TIMED_OUT (timeout_ms per vCPU; 0 = none). each(ctx, vcpu, e) is called
 * in the vCPU's thread after every exit (may be NULL). -EBUSY if started. */
int mvm_machine_start(struct mvm_machine *m, unsigned timeout_ms,
		      mvm_exit_cb *each, void *ctx);
/* Park every vCPU out of KVM_RUN (and pause device threads); returns once
 * all are parked. Nests: each pause needs its resume. */
int mvm_machine_pause(struct mvm_machine *m);
int mvm_machine_resume(struct mvm_machine *m);
/* Run fn(m, ctx) with every other vCPU parked; callable from any thread,
 * a vCPU thread included (e.g. a guest's BAR write changes the bus). */
typedef int mvm_machine_fn(struct mvm_machine *m, void *ctx);
int mvm_machine_paused(struct mvm_machine *m, mvm_machine_fn *fn, void *ctx);
/* Wait until every vCPU thread has finished, or timeout_ms (0: forever):
 * 0 or -ETIMEDOUT. */
int mvm_machine_wait(struct mvm_machine *m, unsigned timeout_ms);
/* vCPU index's verdict and last exit once its thread finished (or while
 * parked); -EBUSY while it runs. */
int mvm_machine_result(struct mvm_machine *m, int index, enum mvm_verdict *v,
		       struct mvm_exit *last);
/* Kick every vCPU, join the threads. The machine can be started again. */
int mvm_machine_stop(struct mvm_machine *m);

/* Device threads pause with the machine: pause() must return only when
 * the thread no longer touches guest memory or devices. */
typedef void mvm_pause_fn(void *ctx);
int mvm_machine_add_pause_hook(struct mvm_machine *m, mvm_pause_fn *pause,
			       mvm_pause_fn *resume, void *ctx);

#pragma GCC visibility pop

#endif
