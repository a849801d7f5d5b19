/*
 * pic_inject.c - from the 8259A's INT pin into the vCPU (pic.h).
 *
 * Lab 3 edits this file: the LAB(3) regions (waking the vCPU, injecting
 * with KVM_INTERRUPT, asking for an interrupt window) are what the
 * student writes. Do not change the
 * public functions' contracts: the tests and the grader call them.
 *
 * With no in-kernel irqchip, KVM knows nothing about interrupts: the VMM
 * must hand it a vector with KVM_INTERRUPT (api.rst 4.16), and only at a
 * moment the guest can take one - RFLAGS.IF = 1 and no interrupt shadow
 * (STI, MOV SS; Intel SDM Vol. 3A 6.8.3). KVM reports that moment in
 * kvm_run: ready_for_interrupt_injection and if_flag (api.rst 5). When
 * the guest cannot take it, the VMM sets request_interrupt_window and KVM
 * exits with KVM_EXIT_IRQ_WINDOW_OPEN as soon as it can. So:
 *
 *   a device raises a line  -> sink -> IRR -> INT rises -> kick the vCPU
 *   (it leaves KVM_RUN, or wakes from a HLT wait)
 *   pre-entry hook:  INT high and ready  -> INTA (vector), KVM_INTERRUPT
 *                    INT high, not ready -> request the window
 *                    INT low             -> no window
 *
 * A vector given to KVM_INTERRUPT is delivered at the next entry: the
 * guest's IDT entry runs, and its EOI (an OUT to 0x20) comes back here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "internal.h"
#include "irq/pic_internal.h"

int mvm_pic_create(const struct mvm_log *log, struct mvm_pic **out)
{
	struct mvm_pic *pic;
	int r;

	if (!out)
		return -EINVAL;
	*out = NULL;
	pic = calloc(1, sizeof(*pic));
	if (!pic)
		return -ENOMEM;
	r = pthread_mutex_init(&pic->lock, NULL);
	if (r) {
		free(pic);
		return -r;
	}
	pic->log = log;
	for (int i = 0; i < 2; i++) {
		pic->chip[i].pic = pic;
		pic->chip[i].slave = i;
		mvm_pic_chip_reset(&pic->chip[i]);
	}
	*out = pic;
	return 0;
}

void mvm_pic_destroy(struct mvm_pic *pic)
{
	if (!pic)
		return;
	pthread_mutex_destroy(&pic->lock);
	free(pic);
}

/*
 * After any change of the pair (lock held): when INT rises, the vCPU must
 * come to its pre-entry hook soon. A kick forces it out of KVM_RUN and
 * out of a HLT wait (vm.h). The vCPU's own thread, inside an exit
 * handler, is about to run the hook anyway: no kick (`self`).
 */
static void changed(struct mvm_pic *pic, int self)
{
	int intr = mvm_pic_pair_output(pic);

	/* LAB(3, pic-wake) BEGIN */
	if (intr && !pic->intr && pic->vcpu && !self) {
		pic->stats.kicks++;
		mvm_vcpu_kick(pic->vcpu);
	}
	/* LAB(3) STUB
	// LAB 3: INT just rose (intr set, pic->intr not yet): unless the
	// caller is the vCPU's own thread (self), make the vCPU (pic->vcpu,
	// may be NULL) reach its pre-entry hook: it may be deep in KVM_RUN
	// or asleep in a HLT wait. Count it in pic->stats.kicks.
	// Hint: vm.h, mvm_vcpu_kick() (it also ends a HLT wait).
	(void)self;
	LAB(3) END */
	pic->intr = intr;
}

void mvm_pic_set_irq(struct mvm_pic *pic, unsigned irq, int level)
{
	pthread_mutex_lock(&pic->lock);
	if (irq < 16 && level)
		pic->stats.raised++;
	mvm_pic_pair_set_irq(pic, irq, level);
	changed(pic, 0);
	pthread_mutex_unlock(&pic->lock);
}

static void sink_set_level(void *ctx, unsigned gsi, int level)
{
	mvm_pic_set_irq(ctx, gsi, level);
}

struct mvm_irq_sink mvm_pic_sink(struct mvm_pic *pic)
{
	return (struct mvm_irq_sink){.set_level = sink_set_level, .ctx = pic};
}

/* Port -> chip and register (layout.h: MVM_PORT_PIC_MASTER/SLAVE). */
static struct pic_chip *port_chip(struct mvm_pic *pic, uint16_t port, int *data)
{
	*data = port & 1;
	if ((port & ~1u) == MVM_PORT_PIC_MASTER)
		return &pic->chip[0];
	if ((port & ~1u) == MVM_PORT_PIC_SLAVE)
		return &pic->chip[1];
	return NULL;
}

static void pic_write(struct mvm_pic *pic, uint16_t port, uint8_t val, int self)
{
	int data;
	struct pic_chip *c = port_chip(pic, port, &data);

	if (!c)
		return;
	pthread_mutex_lock(&pic->lock);
	mvm_pic_chip_write(c, data, val);
	changed(pic, self);
	pthread_mutex_unlock(&pic->lock);
}

void mvm_pic_write(struct mvm_pic *pic, uint16_t port, uint8_t val)
{
	pic_write(pic, port, val, 0);
}

static uint8_t pic_read(struct mvm_pic *pic, uint16_t port, int self)
{
	int data;
	struct pic_chip *c = port_chip(pic, port, &data);
	uint8_t v;

	if (!c)
		return 0xff;
	pthread_mutex_lock(&pic->lock);
	v = mvm_pic_chip_read(c, data);
	changed(pic, self); /* a poll acknowledges */
	pthread_mutex_unlock(&pic->lock);
	return v;
}

uint8_t mvm_pic_read(struct mvm_pic *pic, uint16_t port)
{
	return pic_read(pic, port, 0);
}

int mvm_pic_pending(struct mvm_pic *pic)
{
	int r;

	pthread_mutex_lock(&pic->lock);
	r = mvm_pic_pair_output(pic);
	pthread_mutex_unlock(&pic->lock);
	return r;
}

uint8_t mvm_pic_ack(struct mvm_pic *pic)
{
	uint8_t v;

	pthread_mutex_lock(&pic->lock);
	v = mvm_pic_pair_ack(pic);
	changed(pic, 1);
	pthread_mutex_unlock(&pic->lock);
	return v;
}

void mvm_pic_get_regs(struct mvm_pic *pic, int slave, struct mvm_pic_regs *out)
{
	const struct pic_chip *c = &pic->chip[slave ? 1 : 0];

	pthread_mutex_lock(&pic->lock);
	*out = (struct mvm_pic_regs){
		.irr = c->irr,
		.isr = c->isr,
		.imr = c->imr,
		.vbase = c->vbase,
		.lowest = c->lowest,
		.ready = (uint8_t)c->ready,
		.auto_eoi = (uint8_t)c->auto_eoi,
		.level = (uint8_t)c->level,
	};
	pthread_mutex_unlock(&pic->lock);
}

void mvm_pic_get_stats(struct mvm_pic *pic, struct mvm_pic_stats *out)
{
	pthread_mutex_lock(&pic->lock);
	*out = pic->stats;
	pthread_mutex_unlock(&pic->lock);
}

/*
 * The guest can take an interrupt now (lock held): run the INTA cycle and
 * hand the vector to KVM_INTERRUPT (api.rst 4.16). After it the vCPU may
 * still not enter (a kick ends the step first); kvm_run's ready flag
 * would then still say "ready" from the last exit, and a second
 * KVM_INTERRUPT would replace the first vector, whose ISR bit is already
 * set. So the flag is cleared here; KVM writes it afresh at the next
 * exit (api.rst 5, "kvm_run").
 */
static int inject(struct mvm_pic *pic, struct mvm_vcpu *vcpu)
{
	/* LAB(3, pic-inject) BEGIN */
	struct kvm_interrupt irq = {.irq = mvm_pic_pair_ack(pic)};

	if (ioctl(mvm_vcpu_fd(vcpu), KVM_INTERRUPT, &irq) < 0) {
		int r = -errno;

		pic->stats.inject_err++;
		mvm_logf(pic->log, MVM_LOG_ERROR, "KVM_INTERRUPT vector %u: %s",
			 irq.irq, strerror(-r));
		return r;
	}
	pic->stats.injected++;
	vcpu->run->ready_for_interrupt_injection = 0;
	return 0;
	/* LAB(3) STUB
	// LAB 3: take the vector from the PIC (mvm_pic_pair_ack: the INTA
	// cycle) and give it to the vCPU with the KVM_INTERRUPT ioctl on its
	// fd (mvm_vcpu_fd; struct kvm_interrupt). On failure return -errno
	// (log it, count pic->stats.inject_err); on success count
	// pic->stats.injected and set vcpu->run->ready_for_interrupt_injection
	// to 0 (why: the comment above). KVM api.rst 4.16.
	(void)pic;
	(void)vcpu;
	return 0;
	LAB(3) END */
}

/* The guest cannot take it now (IF = 0, or an STI/MOV SS shadow). */
static void want_window(struct mvm_pic *pic, struct mvm_vcpu *vcpu)
{
	/* LAB(3, pic-window) BEGIN */
	pic->stats.windows++;
	mvm_vcpu_request_irq_window(vcpu, 1);
	/* LAB(3) STUB
	// LAB 3: ask KVM to exit (KVM_EXIT_IRQ_WINDOW_OPEN) as soon as the
	// guest can take an interrupt, so the next pre-entry hook injects it
	// without waiting for an unrelated exit; count pic->stats.windows.
	// Hint: vm.h, mvm_vcpu_request_irq_window(); api.rst 5,
	// request_interrupt_window.
	(void)pic;
	(void)vcpu;
	LAB(3) END */
}

/* [slide:pic-pre-entry] */
/* The pre-entry hook (vm.h), in the vCPU's thread before each KVM_RUN. */
int mvm_pic_pre_entry(void *ctx, struct mvm_vcpu *vcpu)
{
	struct mvm_pic *pic = ctx;
	int r = 0;

	pthread_mutex_lock(&pic->lock);
	/* A request pending from before: no window needed any more, unless
	 * want_window() asks again. */
	mvm_vcpu_request_irq_window(vcpu, 0);
	if (mvm_pic_pair_output(pic)) {
		if (mvm_vcpu_irq_ready(vcpu))
			r = inject(pic, vcpu);
		else
			want_window(pic, vcpu);
	}
	/* Another request of lower priority waits for the EOI, which is an
	 * exit: the hook runs again then. */
	pic->intr = mvm_pic_pair_output(pic);
	pthread_mutex_unlock(&pic->lock);
	return r;
}
/* [/slide:pic-pre-entry] */

/* The two chips on the port bus: dev is the chip. */
static int dev_read(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		    void *data, uint32_t len)
{
	struct pic_chip *c = dev;
	uint16_t base = c->slave ? MVM_PORT_PIC_SLAVE : MVM_PORT_PIC_MASTER;

	memset(data, 0xff, len);
	*(uint8_t *)data = pic_read(c->pic, (uint16_t)(base + (offset & 1)),
				    vcpu && vcpu == c->pic->vcpu);
	return 0;
}

static int dev_write(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		     const void *data, uint32_t len)
{
	struct pic_chip *c = dev;
	uint16_t base = c->slave ? MVM_PORT_PIC_SLAVE : MVM_PORT_PIC_MASTER;

	(void)len; /* a wider OUT writes its low byte (the chip has 8 bits) */
	pic_write(c->pic, (uint16_t)(base + (offset & 1)),
		  *(const uint8_t *)data, vcpu && vcpu == c->pic->vcpu);
	return 0;
}

static const struct mvm_dev_ops pic_ops = {
	.name = "i8259",
	.read = dev_read,
	.write = dev_write,
};

int mvm_pic_attach(struct mvm_pic *pic, struct mvm_machine *m)
{
	struct mvm_irq_sink sink = mvm_pic_sink(pic);
	struct mvm_vcpu *v0 = mvm_machine_vcpu(m, 0);
	int r;

	if (!v0)
		return -EINVAL;
	r = mvm_machine_set_irq_sink(m, &sink);
	if (!r)
		r = mvm_machine_add_device(m, 0, MVM_PORT_PIC_MASTER,
					   MVM_PORT_PIC_LEN, &pic_ops,
					   &pic->chip[0]);
	if (!r)
		r = mvm_machine_add_device(m, 0, MVM_PORT_PIC_SLAVE,
					   MVM_PORT_PIC_LEN, &pic_ops,
					   &pic->chip[1]);
	if (r)
		return r;
	pthread_mutex_lock(&pic->lock);
	pic->vcpu = v0;
	pthread_mutex_unlock(&pic->lock);
	mvm_vcpu_set_pre_entry(v0, mvm_pic_pre_entry, pic);
	return 0;
}
