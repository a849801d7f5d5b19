/*
 * machine.c - building a whole machine from one config (machine.h).
 *
 * The order is the one a PC is assembled in, and the one KVM needs:
 *
 *   VM + RAM (+ in-kernel irqchip, before any vCPU)   mvm_vm_create()
 *   devices on the buses, MSR handlers                attach_devices()
 *   image in RAM, every vCPU in its mode              mvm_machine_load()
 *
 * Everything built is released by mvm_machine_destroy(), which accepts a
 * half-built machine (STYLE.md 3), so creation is one goto-free chain.
 * The threads (start, pause, resume, stop) are in mthread.c, how a run
 * ends in verdict.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "machine_internal.h"

/* Register one device on a bus; log which one failed and why. */
static int attach(struct mvm_machine *m, struct mvm_bus *bus, uint64_t base,
		  uint64_t len, const struct mvm_dev_ops *ops, void *dev)
{
	int rc = mvm_bus_register(bus, base, len, ops, dev);

	if (rc)
		mvm_logf(&m->log, MVM_LOG_ERROR,
			 "%s: cannot register %s 0x%llx+%llu: %s", ops->name,
			 bus->name, (unsigned long long)base,
			 (unsigned long long)len, strerror(-rc));
	return rc;
}

/* The exit tour's demo device answers on a port, an MMIO register and
 * an MSR; the MSR needs its own handler range (msr.c). Without user-space
 * MSR exits only the MSR is lost: say so and go on. */
static int attach_demo(struct mvm_machine *m,
		       const struct mvm_machine_config *c)
{
	struct mvm_vm *vm = m->vm;
	int rc = mvm_demo_create(c->mark, c->mark_ctx, &m->demo);

	if (!rc)
		rc = attach(m, mvm_vm_pio_bus(vm), MVM_PORT_DEMO, 1,
			    &mvm_demo_ops, m->demo);
	if (!rc)
		rc = attach(m, mvm_vm_mmio_bus(vm), MVM_MMIO_DEMO_ADDR, 8,
			    &mvm_demo_ops, m->demo);
	if (!rc && mvm_vm_add_msr_handler(vm, MVM_DEMO_MSR, 1, mvm_demo_msr,
					  m->demo) < 0)
		mvm_logf(&m->log, MVM_LOG_WARN,
			 "no user-space MSR exits here: the demo MSR 0x%x "
			 "will #GP",
			 MVM_DEMO_MSR);
	return rc;
}

/* Lab 1's devices: CMOS RTC, hypercall port, made-up MSRs. */
static int attach_lab1(struct mvm_machine *m,
		       const struct mvm_machine_config *c)
{
	struct mvm_vm *vm = m->vm;
	int rc = mvm_cmos_create(NULL, NULL, &m->log, &m->cmos);

	if (!rc)
		rc = attach(m, mvm_vm_pio_bus(vm), MVM_PORT_CMOS,
			    MVM_PORT_CMOS_LEN, &mvm_cmos_ops, m->cmos);
	if (!rc)
		rc = mvm_hcall_create(mvm_vm_mem(vm), c->out, c->out_ctx,
				      &m->log, &m->hcall);
	if (!rc)
		rc = attach(m, mvm_vm_pio_bus(vm), MVM_PORT_HCALL, 4,
			    &mvm_hcall_ops, m->hcall);
	if (!rc && mvm_labmsr_enable(vm, &m->labmsr) < 0)
		mvm_logf(&m->log, MVM_LOG_WARN,
			 "no user-space MSR exits here: the lab MSRs will #GP");
	return rc;
}

/* The standard devices, one at a time so each can be left out. */
static int attach_std(struct mvm_machine *m, const struct mvm_machine_config *c)
{
	struct mvm_bus *pio = mvm_vm_pio_bus(m->vm);
	struct mvm_std_devices *d = &m->devs;
	int rc = 0;

	if (m->devices & MVM_MDEV_DEBUGCON) {
		rc = mvm_debugcon_create(c->out, c->out_ctx, &d->debugcon);
		if (!rc)
			rc = attach(m, pio, MVM_PORT_DEBUGCON, 1,
				    &mvm_debugcon_ops, d->debugcon);
	}
	if (!rc && (m->devices & MVM_MDEV_UCALL)) {
		rc = mvm_ucall_create(mvm_vm_mem(m->vm), c->out, c->out_ctx,
				      &m->log, &d->ucall);
		if (!rc)
			rc = attach(m, pio, MVM_PORT_UCALL, 4, &mvm_ucall_ops,
				    d->ucall);
	}
	if (!rc && (m->devices & MVM_MDEV_UART)) {
		void *irq_ctx;
		mvm_irq_fn *irq = mvm_machine_uart_irq(m, &irq_ctx);

		rc = mvm_uart_create(c->out, c->out_ctx, irq, irq_ctx,
				     &d->uart);
		if (!rc)
			rc = attach(m, pio, MVM_PORT_COM1, MVM_PORT_COM1_LEN,
				    &mvm_uart_ops, d->uart);
	}
	return rc;
}

static int attach_devices(struct mvm_machine *m,
			  const struct mvm_machine_config *c)
{
	int rc = attach_std(m, c);

	if (!rc && (m->devices & MVM_MDEV_DEMO))
		rc = attach_demo(m, c);
	if (!rc && (m->devices & MVM_MDEV_LAB1))
		rc = attach_lab1(m, c);
	if (!rc && c->virtio)
		rc = mvm_machine_virtio_attach(m);
	return rc;
}

/* Per-vCPU settings every tool must agree on. */
static int setup_vcpus(struct mvm_machine *m,
		       const struct mvm_machine_config *c)
{
	int rc = 0;

	for (int i = 0; rc == 0 && i < mvm_vm_ncpus(m->vm); i++) {
		struct mvm_vcpu *v = mvm_vm_vcpu(m->vm, i);

		rc = mvm_vcpu_set_hlt(v, c->hlt);
		mvm_trace_enable(mvm_vcpu_trace(v), c->trace);
	}
	return rc;
}

static unsigned vm_flags(const struct mvm_machine_config *c)
{
	return c->vm_flags |
	       (c->irqchip == MVM_IRQCHIP_KERNEL ? MVM_VM_IRQCHIP : 0) |
	       (c->irq_flags & MVM_MIRQ_USER_PIT ? MVM_VM_NO_PIT : 0);
}

/* [slide:machine-create] */
int mvm_machine_create(const struct mvm_machine_config *cfg,
		       struct mvm_machine **out)
{
	struct mvm_vm_config vc = {0};
	struct mvm_machine *m;
	int rc;

	if (!out || !cfg)
		return -EINVAL;
	*out = NULL;
	if ((unsigned)cfg->irqchip > MVM_IRQCHIP_KERNEL)
		return -EINVAL;
	if (cfg->irq_flags && cfg->irqchip != MVM_IRQCHIP_KERNEL) {
		mvm_logf(&cfg->log, MVM_LOG_ERROR,
			 "irqfd lines and a user-space PIT need the in-kernel "
			 "irqchip (MVM_IRQCHIP_KERNEL)");
		return -EINVAL;
	}
	if (cfg->irq_flags & ~(MVM_MIRQ_IRQFD | MVM_MIRQ_USER_PIT))
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	mvm_machine_threads_init(m);
	m->log = cfg->log;
	m->cfg = *cfg;
	m->devices = cfg->devices ? cfg->devices : MVM_MDEV_DEFAULT;
	/* A user-space controller arrives later (set_irq_sink), and the
	 * UART's line with it: attach the UART without one for now. */
	vc = (struct mvm_vm_config){cfg->ram_size, cfg->ncpus, vm_flags(cfg),
				    cfg->log};
	rc = mvm_vm_create(&vc, &m->vm);
	if (!rc)
		rc = attach_devices(m, cfg);
	if (!rc)
		rc = setup_vcpus(m, cfg);
	if (!rc && cfg->image)
		rc = mvm_machine_load(m, cfg->image, cfg->mode);
	if (rc) {
		mvm_machine_destroy(m);
		return rc;
	}
	*out = m;
	return 0;
}
/* [/slide:machine-create] */

void mvm_machine_destroy(struct mvm_machine *m)
{
	if (!m)
		return;
	mvm_machine_stop(m);
	mvm_machine_virtio_detach(m);
	/* Lines before the VM (an irqfd needs the VM fd to be removed),
	 * then the VM: its fd closes before the devices it used. */
	mvm_machine_lines_destroy(m);
	mvm_vm_destroy(m->vm);
	mvm_debugcon_destroy(m->devs.debugcon);
	mvm_ucall_destroy(m->devs.ucall);
	mvm_uart_destroy(m->devs.uart);
	mvm_demo_destroy(m->demo);
	mvm_cmos_destroy(m->cmos);
	if (m->hcall)
		mvm_hcall_destroy(m->hcall);
	mvm_machine_threads_fini(m);
	free(m);
}

int mvm_machine_add_device(struct mvm_machine *m, int mmio, uint64_t base,
			   uint64_t len, const struct mvm_dev_ops *ops,
			   void *dev)
{
	int rc = -EBUSY;

	pthread_mutex_lock(&m->lock);
	/* The buses change only while no vCPU runs (machine.h, rule 1). */
	if (!m->started ||
	    (m->pause_depth > 0 && pthread_equal(m->pauser, pthread_self())))
		rc = attach(m,
			    mmio ? mvm_vm_mmio_bus(m->vm)
				 : mvm_vm_pio_bus(m->vm),
			    base, len, ops, dev);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* --- accessors ----------------------------------------------------------- */

struct mvm_vm *mvm_machine_vm(struct mvm_machine *m)
{
	return m->vm;
}

struct mvm_vcpu *mvm_machine_vcpu(struct mvm_machine *m, int index)
{
	return mvm_vm_vcpu(m->vm, index);
}

int mvm_machine_ncpus(const struct mvm_machine *m)
{
	return mvm_vm_ncpus(m->vm);
}

const struct mvm_log *mvm_machine_log(const struct mvm_machine *m)
{
	return &m->log;
}

const struct mvm_image_info *mvm_machine_image(const struct mvm_machine *m)
{
	return &m->img;
}

enum mvm_cpu_mode mvm_machine_mode(const struct mvm_machine *m)
{
	return m->mode;
}

const struct mvm_std_devices *mvm_machine_devices(const struct mvm_machine *m)
{
	return &m->devs;
}

struct mvm_demo *mvm_machine_demo(struct mvm_machine *m)
{
	return m->demo;
}

struct mvm_cmos *mvm_machine_cmos(struct mvm_machine *m)
{
	return m->cmos;
}

struct mvm_hcall_dev *mvm_machine_hcall(struct mvm_machine *m)
{
	return m->hcall;
}

struct mvm_labmsr *mvm_machine_labmsr(struct mvm_machine *m)
{
	return (m->devices & MVM_MDEV_LAB1) ? &m->labmsr : NULL;
}
