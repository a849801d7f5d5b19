/*
 * line.c - an interrupt line a device owns (irq.h).
 *
 * A device model should not care which interrupt controller the machine
 * has; it raises and lowers a line. Underneath, a line takes one of three
 * paths to the guest:
 *
 * 1. In-kernel irqchip, KVM_IRQ_LINE (api.rst 4.25). KVM_CREATE_IRQCHIP
 *    (4.24) puts a PIC pair, an IOAPIC and per-vCPU local APICs inside
 *    KVM. The VMM sets an input's level with one ioctl from any thread;
 *    KVM routes the GSI (4.52) and wakes the vCPU, even from HLT, which
 *    then never exits to user space. Each raise or lower is a system call.
 *
 * 2. irqfd (api.rst 4.75). The VMM hands KVM an eventfd bound to a GSI;
 *    writing to the eventfd makes KVM assert and deassert the GSI itself,
 *    from the kernel's eventfd wake-up. The writer needs no access to the
 *    VM at all: an I/O thread, another process (vhost), or a device's
 *    worker can interrupt the guest without the VMM's run loop on the
 *    path. That is an edge, and mvm_irq_pulse() uses it. A level that
 *    stays high until the guest has serviced it needs KVM's resample
 *    flag and a thread that re-asserts after each EOI (resample.c);
 *    mvm_irq_raise()/lower() use that.
 *
 * 3. A user-space controller (no in-kernel irqchip): the line calls a
 *    sink, the controller model's input pin (Lab 3's 8259A), which later
 *    injects the vector with KVM_INTERRUPT (4.16) from the vCPU's
 *    pre-entry hook when the guest can take it.
 *
 * Whatever the path, a line remembers its level, and pulse is raise then
 * lower: one rising edge for an edge-triggered input (an 8259A in edge
 * mode latches IRR on the low-to-high transition; 8259A datasheet, ICW1
 * LTIM = 0). The thread contract is in irq.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "irq/line_internal.h"

const struct mvm_log *mvm_irq_line_log(const struct mvm_irq_line *line)
{
	return line->vm ? mvm_vm_log(line->vm) : NULL;
}

int mvm_irq_kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		return 0;
	/* EAGAIN would mean 2^64 - 2 kicks nobody consumed. */
	return -errno;
}

/* Register a fresh eventfd for the line's GSI as an edge irqfd. */
static int irqfd_open(struct mvm_irq_line *line)
{
	int r;

	line->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (line->efd < 0) {
		r = -errno;
		mvm_logf(mvm_irq_line_log(line), MVM_LOG_ERROR,
			 "irq %u: eventfd: %s", line->gsi, strerror(-r));
		return r;
	}
	r = mvm_vm_irqfd(line->vm, line->gsi, line->efd, -1, 0);
	if (r == 0)
		line->assigned = 1;
	return r;
}

/* Why a line cannot be made from these arguments, or NULL if it can. */
static const char *bad_args(struct mvm_vm *vm, enum mvm_irq_kind kind,
			    const struct mvm_irq_sink *sink)
{
	switch (kind) {
	case MVM_IRQ_KERNEL:
	case MVM_IRQ_IRQFD:
		return vm ? NULL : "a kernel or irqfd line needs a VM";
	case MVM_IRQ_USER:
		return sink && sink->set_level ? NULL
					       : "a user line needs a sink";
	}
	return "unknown kind of line";
}

int mvm_irq_line_create(struct mvm_vm *vm, enum mvm_irq_kind kind, unsigned gsi,
			const struct mvm_irq_sink *sink,
			struct mvm_irq_line **out)
{
	const char *why = bad_args(vm, kind, sink);
	struct mvm_irq_line *line;
	int r;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (why) {
		mvm_logf(vm ? mvm_vm_log(vm) : NULL, MVM_LOG_ERROR,
			 "irq %u: %s", gsi, why);
		return -EINVAL;
	}
	line = calloc(1, sizeof(*line));
	if (!line)
		return -ENOMEM;
	line->vm = vm;
	line->kind = kind;
	line->gsi = gsi;
	line->efd = line->lfd = line->rfd = line->stopfd = -1;
	atomic_init(&line->level, 0);
	if (kind == MVM_IRQ_USER)
		line->sink = *sink;
	r = pthread_mutex_init(&line->lock, NULL);
	if (r) {
		free(line);
		return -r;
	}
	if (kind == MVM_IRQ_IRQFD) {
		r = irqfd_open(line);
		if (r < 0) {
			mvm_irq_line_destroy(line);
			return r;
		}
	}
	*out = line;
	return 0;
}

void mvm_irq_line_destroy(struct mvm_irq_line *line)
{
	if (!line)
		return;
	/* Deassign before closing: KVM would notice the close too, but
	 * only later, from a work item (api.rst 4.75). */
	mvm_irq_resample_stop(line);
	if (line->assigned)
		mvm_vm_irqfd(line->vm, line->gsi, line->efd, -1, 1);
	if (line->efd >= 0)
		close(line->efd);
	pthread_mutex_destroy(&line->lock);
	free(line);
}

/* Store the level and carry it to the controller; lock held. */
static int deliver(struct mvm_irq_line *line, int level)
{
	int r = 0;

	switch (line->kind) {
	case MVM_IRQ_KERNEL:
		r = mvm_vm_irq_line(line->vm, line->gsi, level);
		break;
	case MVM_IRQ_USER:
		line->sink.set_level(line->sink.ctx, line->gsi, level);
		break;
	case MVM_IRQ_IRQFD:
		/* High: assert the resample irqfd (resample.c). Low: the
		 * resampler stops re-asserting; KVM drops the line at the
		 * guest's next EOI. */
		if (level)
			r = mvm_irq_resample_assert(line);
		break;
	}
	if (r == 0)
		atomic_store(&line->level, level);
	return r;
}

static int set_level(struct mvm_irq_line *line, int level)
{
	int r;

	if (!line)
		return -EINVAL;
	pthread_mutex_lock(&line->lock);
	r = deliver(line, level);
	pthread_mutex_unlock(&line->lock);
	return r;
}

int mvm_irq_raise(struct mvm_irq_line *line)
{
	return set_level(line, 1);
}

int mvm_irq_lower(struct mvm_irq_line *line)
{
	return set_level(line, 0);
}

int mvm_irq_pulse(struct mvm_irq_line *line)
{
	int r;

	if (!line)
		return -EINVAL;
	pthread_mutex_lock(&line->lock);
	if (line->kind == MVM_IRQ_IRQFD) {
		/* One edge through the edge irqfd; a held level ends. */
		r = mvm_irq_kick(line->efd);
		if (r == 0)
			atomic_store(&line->level, 0);
	} else {
		r = deliver(line, 1);
		if (r == 0)
			r = deliver(line, 0);
	}
	pthread_mutex_unlock(&line->lock);
	if (r < 0)
		mvm_logf(mvm_irq_line_log(line), MVM_LOG_ERROR,
			 "irq %u: pulse: %s", line->gsi, strerror(-r));
	return r;
}

unsigned mvm_irq_gsi(const struct mvm_irq_line *line)
{
	return line ? line->gsi : 0;
}

int mvm_irq_level(const struct mvm_irq_line *line)
{
	/* atomic_load wants a non-const object before C17's DR 459. */
	return line ? atomic_load(&((struct mvm_irq_line *)line)->level) : 0;
}

int mvm_irq_eventfd(const struct mvm_irq_line *line)
{
	return line ? line->efd : -1;
}
