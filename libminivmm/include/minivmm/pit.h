/*
 * pit.h - a user-space 8254 programmable interval timer, channel 0
 * (Lab 3; the timer of an MVM_IRQCHIP_USER machine).
 *
 * The PC's PIT counts a 1.193182 MHz clock down from a reload value the
 * guest writes; channel 0's OUT pin is IRQ 0. In mode 2 (rate
 * generator) and mode 3 (square wave) OUT rises once per reload counts,
 * so the guest gets a periodic tick: divisor 11932 is 100 Hz. Mode 0
 * (interrupt on terminal count) rises once.
 *
 * Here a thread sleeps on a timerfd armed with the period and pulses the
 * line on each expiry: the tick reaches the guest through whatever
 * controller the line goes to (the user-space 8259A, pic.h). Expiries the
 * guest could not take (IRR already set) merge into one, as on a PC. The
 * in-kernel PIT of MVM_IRQCHIP_KERNEL (KVM_CREATE_PIT2) does the same
 * inside KVM.
 *
 * Ports (offsets from MVM_PORT_PIT): 0-2 the counters, 3 the control
 * word. Only channel 0 counts and interrupts; channels 1 (DRAM refresh)
 * and 2 (speaker, gated by port 0x61) keep their registers and read 0.
 * Reference: Intel 8254 Programmable Interval Timer data sheet (231164),
 * "Control Word Format", "Read Operations", "Mode Definitions".
 *
 * Threads: the timer thread and vCPU threads share the state under one
 * mutex; pause/resume (the machine's pause hooks) stop deliveries.
 */
#ifndef MINIVMM_PIT_H
#define MINIVMM_PIT_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

#include "bus.h"
#include "irq.h"
#include "log.h"

#define MVM_PIT_HZ	      1193182u /* input clock (data sheet; PC: 14.31818/12) */
/* Shortest period the timer thread is armed with: a guest that writes
 * reload 1 (838 ns) gets 10 kHz, not a flood that starves the VMM. */
#define MVM_PIT_MIN_PERIOD_NS 100000ull

/* Offsets of the ports from MVM_PORT_PIT. */
#define MVM_PIT_COUNTER0 0
#define MVM_PIT_CONTROL	 3

struct mvm_pit;
struct mvm_machine;
extern const struct mvm_dev_ops mvm_pit_ops;

/* A stopped timer (no count written) with its thread. The line (IRQ 0)
 * may come later (mvm_pit_set_line). 0 and *out, or -errno. */
int mvm_pit_create(const struct mvm_log *log, struct mvm_pit **out);
/* Stop and join the thread, free; accepts NULL. Destroy it before the
 * line (before the machine). */
void mvm_pit_destroy(struct mvm_pit *pit);
void mvm_pit_set_line(struct mvm_pit *pit, struct mvm_irq_line *line);

/* Port access (offset 0-3), as the guest makes it. */
void mvm_pit_write(struct mvm_pit *pit, unsigned offset, uint8_t val);
uint8_t mvm_pit_read(struct mvm_pit *pit, unsigned offset);

/* Channel 0: period armed (ns, 0 = stopped), mode, pulses delivered,
 * and periods elapsed: more than the pulses when the timer thread woke
 * late (a loaded host) and merged several periods into one pulse. */
uint64_t mvm_pit_period_ns(struct mvm_pit *pit);
unsigned mvm_pit_mode(struct mvm_pit *pit);
uint64_t mvm_pit_ticks(struct mvm_pit *pit);
uint64_t mvm_pit_expirations(struct mvm_pit *pit);

/* Stop / restart deliveries (nests). pause returns once the thread
 * delivers nothing more; expiries while paused are dropped. */
void mvm_pit_pause(struct mvm_pit *pit);
void mvm_pit_resume(struct mvm_pit *pit);

/* Plug pit into machine m: IRQ 0's line, ports 0x40-0x43, pause hooks.
 * Needs the machine's controller: MVM_IRQCHIP_USER after mvm_pic_attach,
 * or MVM_IRQCHIP_KERNEL with MVM_MIRQ_USER_PIT (no in-kernel PIT; with
 * MVM_MIRQ_IRQFD each tick is an irqfd write, machine.h). Destroy the PIT after mvm_machine_stop() and before
 * mvm_machine_destroy(). 0 or -errno. */
int mvm_pit_attach(struct mvm_pit *pit, struct mvm_machine *m);

#pragma GCC visibility pop

#endif
