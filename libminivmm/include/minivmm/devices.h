/*
 * devices.h - the emulated devices that come with the library.
 *
 *   debugcon   port 0xe9: every byte written goes to the host's output
 *              (Bochs/QEMU "port E9 hack"); reads return 0xe9 so a guest
 *              can detect it.
 *   ucall      guest -> host calls for tests and labs (see ucall.h).
 *   uart8250   an 8250/16550A-compatible serial port, enough for a Linux
 *              early console (THR/RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR,
 *              DLL/DLM).
 *
 * Every device has the same shape (STYLE.md 4): a struct created with
 * _create and freed with _destroy, a `const struct mvm_dev_ops`, and an
 * explicit mvm_bus_register() by whoever builds the machine.
 * mvm_std_devices_attach() does that for the standard PC-like set.
 */
#ifndef MINIVMM_DEVICES_H
#define MINIVMM_DEVICES_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "log.h"
#include "memory.h"
#include "ucall.h"

struct mvm_vm;

/* Where guest output goes (a terminal, a debugger pane, a test buffer). */
typedef void mvm_output_fn(void *ctx, const char *buf, size_t len);

/* --- debug console ---------------------------------------------------- */
struct mvm_debugcon;
extern const struct mvm_dev_ops mvm_debugcon_ops;
int mvm_debugcon_create(mvm_output_fn *out, void *ctx,
			struct mvm_debugcon **dev);
void mvm_debugcon_destroy(struct mvm_debugcon *dev);

/* --- ucall -------------------------------------------------------------- */
struct mvm_ucall_dev;
extern const struct mvm_dev_ops mvm_ucall_ops;
/* mem: where the guest's ucall structs are read from (validated). PRINT
 * text goes to out. */
int mvm_ucall_create(const struct mvm_memmap *mem, mvm_output_fn *out,
		     void *ctx, const struct mvm_log *log,
		     struct mvm_ucall_dev **dev);
void mvm_ucall_destroy(struct mvm_ucall_dev *dev);
/* The last ucall received (cmd MVM_UCALL_NONE if none); returns cmd. */
int mvm_ucall_last(const struct mvm_ucall_dev *dev, struct mvm_ucall *uc);
/* The last SYNC/ASSERT/DONE of vCPU `vcpu` (its index); -EINVAL for an
 * index out of range. */
int mvm_ucall_last_of(const struct mvm_ucall_dev *dev, int vcpu,
		      struct mvm_ucall *uc);
/* Forget the last ucall. */
void mvm_ucall_clear(struct mvm_ucall_dev *dev);
/* Every call the device accepted counts here, PRINT included (a
 * debugger names the call behind each I/O exit with it): copies the
 * latest into *uc (unless NULL) and returns how many there have been, 0
 * for none. Ignored calls (bad address, size or command) do not count;
 * mvm_ucall_clear() does not reset it. */
uint64_t mvm_ucall_seen(const struct mvm_ucall_dev *dev, struct mvm_ucall *uc);
const char *mvm_ucall_cmd_name(uint64_t cmd);

/* --- 8250/16550 UART ---------------------------------------------------- */
struct mvm_uart;
extern const struct mvm_dev_ops mvm_uart_ops;
/* irq(ctx, level) is called when the interrupt output changes (may be
 * NULL until interrupts exist). */
typedef void mvm_irq_fn(void *ctx, int level);
int mvm_uart_create(mvm_output_fn *out, void *ctx, mvm_irq_fn *irq,
		    void *irq_ctx, struct mvm_uart **dev);
void mvm_uart_destroy(struct mvm_uart *dev);
/* Connect the interrupt output later (a user-space interrupt controller
 * installed after the UART was made); the current level is reported. */
void mvm_uart_set_irq(struct mvm_uart *dev, mvm_irq_fn *irq, void *irq_ctx);
/* Queue bytes the guest will read from RBR (host keyboard -> guest).
 * Returns bytes accepted (the FIFO holds 16). Any thread may call it
 * while a vCPU runs: the UART locks its own state. */
size_t mvm_uart_input(struct mvm_uart *dev, const char *buf, size_t len);

/* --- the demo device (exit tour) -------------------------------------- */
/*
 * A scratch register behind MVM_PORT_DEMO and MVM_MMIO_DEMO_ADDR (a read
 * returns the last value written), the demo MSR, timing markers and the
 * STOP marker (layout.h). mark(ctx, n, ns) is called, from the vCPU's
 * thread, when the interval of marker n ends.
 */
struct mvm_demo;
struct mvm_vcpu;
struct mvm_exit_msr;
extern const struct mvm_dev_ops mvm_demo_ops;
typedef void mvm_demo_mark_fn(void *ctx, unsigned id, uint64_t ns);
int mvm_demo_create(mvm_demo_mark_fn *mark, void *ctx, struct mvm_demo **out);
void mvm_demo_destroy(struct mvm_demo *d);
/* An MSR handler (vm.h) for MVM_DEMO_MSR. */
int mvm_demo_msr(void *ctx, struct mvm_vcpu *vcpu, struct mvm_exit_msr *msr);
/* Interval of marker id in ns (0 = not measured); did the guest STOP? */
uint64_t mvm_demo_took_ns(struct mvm_demo *d, unsigned id);
int mvm_demo_stopped(struct mvm_demo *d);

/* --- the standard set ------------------------------------------------- */
struct mvm_std_devices {
	struct mvm_debugcon *debugcon; /* at MVM_PORT_DEBUGCON */
	struct mvm_ucall_dev *ucall;   /* at MVM_PORT_UCALL */
	struct mvm_uart *uart;	       /* at MVM_PORT_COM1 */
};

/* Create the standard devices, all writing to out, and register them on
 * vm's port bus. On failure nothing stays registered. */
int mvm_std_devices_attach(struct mvm_vm *vm, mvm_output_fn *out, void *ctx,
			   struct mvm_std_devices *d);
/* Unregister and destroy (accepts a partly filled struct). */
void mvm_std_devices_detach(struct mvm_vm *vm, struct mvm_std_devices *d);

#pragma GCC visibility pop

#endif
