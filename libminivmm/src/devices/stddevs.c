/*
 * stddevs.c - the standard PC-like device set of every minivmm VM.
 *
 *   debugcon  MVM_PORT_DEBUGCON, 1 port
 *   ucall     MVM_PORT_UCALL, 4 ports (one 4-byte OUT)
 *   uart8250  MVM_PORT_COM1, MVM_PORT_COM1_LEN ports
 *
 * This is the explicit registration STYLE.md 4 asks for, written out in
 * one place, rather than devices that register themselves. The UART's
 * interrupt line is not wired yet (irq callback NULL): a VM with an
 * interrupt controller connects it to MVM_IRQ_COM1 itself.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

/* Register one device; log which one failed and why. */
static int attach_one(struct mvm_vm *vm, uint64_t port, uint64_t len,
		      const struct mvm_dev_ops *ops, void *dev)
{
	int rc = mvm_bus_register(mvm_vm_pio_bus(vm), port, len, ops, dev);

	if (rc)
		mvm_logf(mvm_vm_log(vm), MVM_LOG_ERROR,
			 "%s: cannot register ports 0x%llx+%llu: %s", ops->name,
			 (unsigned long long)port, (unsigned long long)len,
			 strerror(-rc));
	return rc;
}

int mvm_std_devices_attach(struct mvm_vm *vm, mvm_output_fn *out, void *ctx,
			   struct mvm_std_devices *d)
{
	int rc;

	if (!vm || !d)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	rc = mvm_debugcon_create(out, ctx, &d->debugcon);
	if (!rc)
		rc = mvm_ucall_create(mvm_vm_mem(vm), out, ctx, mvm_vm_log(vm),
				      &d->ucall);
	if (!rc)
		rc = mvm_uart_create(out, ctx, NULL, NULL, &d->uart);
	if (rc)
		goto err;
	rc = attach_one(vm, MVM_PORT_DEBUGCON, 1, &mvm_debugcon_ops,
			d->debugcon);
	if (!rc)
		rc = attach_one(vm, MVM_PORT_UCALL, 4, &mvm_ucall_ops,
				d->ucall);
	if (!rc)
		rc = attach_one(vm, MVM_PORT_COM1, MVM_PORT_COM1_LEN,
				&mvm_uart_ops, d->uart);
	if (rc)
		goto err;
	return 0;
err:
	mvm_std_devices_detach(vm, d);
	return rc;
}

/* Unregister a port only if it is ours: after a failed attach the range
 * may belong to whoever refused us with -EEXIST. */
static void detach_one(struct mvm_bus *bus, uint64_t port, const void *dev)
{
	const struct mvm_bus_entry *e = mvm_bus_find(bus, port, 1);

	if (dev && e && e->base == port && e->dev == dev)
		mvm_bus_unregister(bus, port);
}

void mvm_std_devices_detach(struct mvm_vm *vm, struct mvm_std_devices *d)
{
	if (!d)
		return;
	if (vm) {
		struct mvm_bus *bus = mvm_vm_pio_bus(vm);

		detach_one(bus, MVM_PORT_DEBUGCON, d->debugcon);
		detach_one(bus, MVM_PORT_UCALL, d->ucall);
		detach_one(bus, MVM_PORT_COM1, d->uart);
	}
	mvm_debugcon_destroy(d->debugcon);
	mvm_ucall_destroy(d->ucall);
	mvm_uart_destroy(d->uart);
	memset(d, 0, sizeof(*d));
}
