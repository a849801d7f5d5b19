/*
 * uart.c - an 8250/16550A-compatible serial port (COM1).
 *
 * The PC's serial port is National Semiconductor's 8250 and its
 * successor, the 16550A with 16-byte FIFOs. Every OS has a driver for it,
 * so it is the console a new VMM offers first: Linux prints its boot log
 * to it with `console=ttyS0` (earlyprintk=serial too).
 *
 * The model follows the PC16550D datasheet (TI/National, "PC16550D
 * Universal Asynchronous Receiver/Transmitter with FIFOs"), Table II
 * "Summary of Registers". Simplifications, all invisible to a driver:
 *   - transmission is instant: a byte written to THR goes straight to the
 *     output callback, so LSR always reports THRE and TEMT;
 *   - no baud rate, parity or framing: DLL/DLM and LCR are stored and read
 *     back, nothing more;
 *   - the receive FIFO always holds 16 bytes (fed by mvm_uart_input())
 *     whether or not FCR enabled the FIFOs.
 *
 * Interrupts (datasheet Table IV, "Interrupt Control Functions"): the
 * identification in IIR is the highest-priority pending source enabled in
 * IER: receiver line status (overrun), received data available,
 * transmitter holding register empty, modem status. On a PC the chip's
 * INTR pin reaches the interrupt controller only while MCR.OUT2 is set
 * (the board gates it), which is why Linux sets OUT2; the model does the
 * same gating and calls the irq callback whenever the line changes.
 *
 * Locking (machine.h, rule 2): the vCPU's run step reads and writes the
 * registers while `mvm run`'s console thread feeds the receive FIFO with
 * mvm_uart_input(), so every entry point below takes u->lock around the
 * state. The irq callback is called with the lock held: it must not call
 * back into this UART.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Register offsets from the base port (PC16550D Table II). Offsets 0 and
 * 1 are DLL/DLM instead while LCR.DLAB is set. */
#define UART_RBR 0 /* receiver buffer (read) */
#define UART_THR 0 /* transmitter holding (write) */
#define UART_DLL 0 /* divisor latch low (DLAB = 1) */
#define UART_IER 1 /* interrupt enable */
#define UART_DLM 1 /* divisor latch high (DLAB = 1) */
#define UART_IIR 2 /* interrupt identification (read) */
#define UART_FCR 2 /* FIFO control (write) */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_MSR 6 /* modem status */
#define UART_SCR 7 /* scratch */

/* IER bits (Table II, IER). */
#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* transmitter holding register empty */
#define IER_ELSI  0x04 /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */
#define IER_MASK  0x0f /* bits 4-7 are always 0 */

/* IIR values (Table IV): bit 0 = 1 means "no interrupt pending". */
#define IIR_NONE      0x01
#define IIR_MSR	      0x00 /* modem status changed */
#define IIR_THRE      0x02 /* THR empty */
#define IIR_RDA	      0x04 /* received data available */
#define IIR_RLS	      0x06 /* receiver line status */
#define IIR_FIFO_BITS 0xc0 /* bits 6-7 set when FCR.0 enabled the FIFOs */

/* FCR bits (Table II, FCR). */
#define FCR_ENABLE   0x01 /* FIFO enable */
#define FCR_CLEAR_RX 0x02 /* RCVR FIFO reset (self-clearing) */
#define FCR_CLEAR_TX 0x04 /* XMIT FIFO reset (self-clearing) */

/* LCR bit 7 (Table II, LCR). */
#define LCR_DLAB 0x80 /* divisor latch access */

/* MCR bits (Table II, MCR). */
#define MCR_DTR	 0x01
#define MCR_RTS	 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08 /* on a PC: gates INTR to the PIC */
#define MCR_LOOP 0x10 /* local loopback (datasheet 8.6) */
#define MCR_MASK 0x1f

/* LSR bits (Table II, LSR). */
#define LSR_DR	 0x01 /* data ready */
#define LSR_OE	 0x02 /* overrun error */
#define LSR_THRE 0x20 /* THR empty */
#define LSR_TEMT 0x40 /* transmitter empty */

/* MSR bits (Table II, MSR): 0-3 changed since last read, 4-7 state. */
#define MSR_DELTA 0x0f
#define MSR_CTS	  0x10
#define MSR_DSR	  0x20
#define MSR_RI	  0x40
#define MSR_DCD	  0x80

#define UART_FIFO 16 /* the 16550A's receiver FIFO depth */

/* The guest-visible state: what save/load copy. */
struct uart_regs {
	uint8_t ier, lcr, mcr, lsr_oe, msr, scr, dll, dlm;
	uint8_t fcr;		 /* only FCR_ENABLE is kept */
	uint8_t thre_pending;	 /* THRE interrupt armed (Table IV) */
	uint8_t rx[UART_FIFO];	 /* receive FIFO ring */
	uint8_t rx_head, rx_len; /* oldest byte, bytes queued */
};

struct mvm_uart {
	pthread_mutex_t lock; /* guards everything below */
	struct uart_regs r;   /* register state */
	mvm_output_fn *out;   /* transmitted bytes */
	void *ctx;	      /* passed to out */
	mvm_irq_fn *irq;      /* interrupt line changes; may be NULL */
	void *irq_ctx;	      /* passed to irq */
	int irq_level;	      /* last level reported */
};

/* [slide:uart-irq] */
/* Highest-priority pending interrupt as an IIR id, or IIR_NONE. */
static uint8_t uart_iir_id(const struct uart_regs *r)
{
	if ((r->ier & IER_ELSI) && r->lsr_oe)
		return IIR_RLS;
	if ((r->ier & IER_ERBFI) && r->rx_len)
		return IIR_RDA;
	if ((r->ier & IER_ETBEI) && r->thre_pending)
		return IIR_THRE;
	if ((r->ier & IER_EDSSI) && (r->msr & MSR_DELTA))
		return IIR_MSR;
	return IIR_NONE;
}

/* Recompute INTR (gated by OUT2, see the top) and report changes. In
 * loopback the OUT2 pin is forced inactive (datasheet 8.6). */
static void uart_update_irq(struct mvm_uart *u)
{
	int gate = (u->r.mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
	int level = gate && uart_iir_id(&u->r) != IIR_NONE;

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->irq)
			u->irq(u->irq_ctx, level);
	}
}
/* [/slide:uart-irq] */

/* Modem status inputs. No modem is attached, so outside loopback we
 * report a connected, ready line (CTS, DSR, DCD) so drivers with flow
 * control transmit. In loopback the inputs are wired to the MCR outputs:
 * RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD (datasheet 8.6). */
static uint8_t uart_msr_inputs(uint8_t mcr)
{
	if (!(mcr & MCR_LOOP))
		return MSR_CTS | MSR_DSR | MSR_DCD;
	return (uint8_t)(((mcr & MCR_RTS) ? MSR_CTS : 0) |
			 ((mcr & MCR_DTR) ? MSR_DSR : 0) |
			 ((mcr & MCR_OUT1) ? MSR_RI : 0) |
			 ((mcr & MCR_OUT2) ? MSR_DCD : 0));
}

/* New MSR state bits, setting the delta bits for lines that changed
 * (TERI only on RI's trailing edge, Table II MSR bit 2). */
static void uart_set_msr(struct uart_regs *r, uint8_t state)
{
	uint8_t old = r->msr, changed = (uint8_t)((old ^ state) & 0xf0);
	uint8_t delta = (uint8_t)((changed & (MSR_CTS | MSR_DSR)) >> 4);

	if (changed & MSR_DCD)
		delta |= 0x08;
	if ((old & MSR_RI) && !(state & MSR_RI))
		delta |= 0x04;
	r->msr = (uint8_t)(state | (old & MSR_DELTA) | delta);
}

/* Append one byte to the receive FIFO; a full FIFO is an overrun. */
static int rx_push(struct uart_regs *r, uint8_t c)
{
	if (r->rx_len == UART_FIFO) {
		r->lsr_oe = 1;
		return 0;
	}
	r->rx[(r->rx_head + r->rx_len) % UART_FIFO] = c;
	r->rx_len++;
	return 1;
}

static uint8_t rx_pop(struct uart_regs *r)
{
	uint8_t c;

	if (!r->rx_len)
		return 0;
	c = r->rx[r->rx_head];
	r->rx_head = (uint8_t)((r->rx_head + 1) % UART_FIFO);
	r->rx_len--;
	return c;
}

static uint8_t uart_read_reg(struct mvm_uart *u, unsigned reg)
{
	struct uart_regs *r = &u->r;
	int dlab = r->lcr & LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case UART_RBR:
		return dlab ? r->dll : rx_pop(r);
	case UART_IER:
		return dlab ? r->dlm : r->ier;
	case UART_IIR:
		v = uart_iir_id(r);
		/* reading IIR acknowledges a THRE interrupt (Table IV) */
		if (v == IIR_THRE)
			r->thre_pending = 0;
		return (uint8_t)(v |
				 ((r->fcr & FCR_ENABLE) ? IIR_FIFO_BITS : 0));
	case UART_LCR:
		return r->lcr;
	case UART_MCR:
		return r->mcr;
	case UART_LSR:
		v = (uint8_t)(LSR_THRE | LSR_TEMT | (r->rx_len ? LSR_DR : 0) |
			      (r->lsr_oe ? LSR_OE : 0));
		r->lsr_oe = 0; /* error bits clear on read */
		return v;
	case UART_MSR:
		v = r->msr;
		r->msr &= (uint8_t)~MSR_DELTA;
		return v;
	default:
		return r->scr;
	}
}

/* A byte written to THR: out of the port, or back in under loopback. */
static void uart_transmit(struct mvm_uart *u, uint8_t c)
{
	if (u->r.mcr & MCR_LOOP)
		rx_push(&u->r, c);
	else if (u->out)
		u->out(u->ctx, (const char *)&c, 1);
	/* transmission is instant, so THR is empty again at once */
	u->r.thre_pending = 1;
}

static void uart_write_fcr(struct uart_regs *r, uint8_t v)
{
	r->fcr = v & FCR_ENABLE;
	/* Changing FCR.0 resets both FIFOs (Table II, FCR bit 0). */
	if ((v & FCR_CLEAR_RX) || !(v & FCR_ENABLE))
		r->rx_len = 0;
	/* FCR_CLEAR_TX: the transmit FIFO is always empty here. */
}

static void uart_write_reg(struct mvm_uart *u, unsigned reg, uint8_t v)
{
	struct uart_regs *r = &u->r;
	int dlab = r->lcr & LCR_DLAB;

	switch (reg) {
	case UART_THR:
		if (dlab)
			r->dll = v;
		else
			uart_transmit(u, v);
		break;
	case UART_IER:
		if (dlab) {
			r->dlm = v;
			break;
		}
		/* enabling ETBEI while THR is empty raises THRE at once;
		 * Linux's 8250 driver tests for exactly this */
		if ((v & IER_ETBEI) && !(r->ier & IER_ETBEI))
			r->thre_pending = 1;
		r->ier = v & IER_MASK;
		break;
	case UART_FCR:
		uart_write_fcr(r, v);
		break;
	case UART_LCR:
		r->lcr = v;
		break;
	case UART_MCR:
		r->mcr = v & MCR_MASK;
		uart_set_msr(r, uart_msr_inputs(r->mcr));
		break;
	case UART_LSR:
	case UART_MSR:
		break; /* read-only (factory test use only) */
	default:
		r->scr = v;
	}
}

/* Power-on state (datasheet Table III, "UART Reset Configuration"). */
static void uart_reset(void *dev)
{
	struct mvm_uart *u = dev;

	pthread_mutex_lock(&u->lock);
	memset(&u->r, 0, sizeof(u->r));
	u->r.msr = uart_msr_inputs(0);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

static int uart_save(void *dev, void *buf, size_t len)
{
	struct mvm_uart *u = dev;

	if (len < sizeof(u->r))
		return -ENOSPC;
	pthread_mutex_lock(&u->lock);
	memcpy(buf, &u->r, sizeof(u->r));
	pthread_mutex_unlock(&u->lock);
	return (int)sizeof(u->r);
}

/* [slide:uart-load] */
/* A snapshot is input too: fields are masked into range before use. */
static int uart_load(void *dev, const void *buf, size_t len)
{
	struct mvm_uart *u = dev;
	struct uart_regs r;

	if (len != sizeof(r))
		return -EINVAL;
	memcpy(&r, buf, sizeof(r));
	if (r.rx_head >= UART_FIFO || r.rx_len > UART_FIFO)
		return -EINVAL;
	r.ier &= IER_MASK;
	r.mcr &= MCR_MASK;
	r.fcr &= FCR_ENABLE;
	pthread_mutex_lock(&u->lock);
	u->r = r;
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return (int)sizeof(r);
}
/* [/slide:uart-load] */

/* The bus may hand us any length; a UART register is one byte wide, so
 * wider accesses touch consecutive registers, as on an 8-bit ISA bus. */
static int uart_read(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		     void *data, uint32_t len)
{
	struct mvm_uart *u = dev;
	uint8_t *p = data;

	pthread_mutex_lock(&u->lock);
	for (uint32_t i = 0; i < len; i++)
		p[i] = uart_read_reg(u, (unsigned)((offset + i) & 7));
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

/* [slide:uart-ops] */
static int uart_write(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		      const void *data, uint32_t len)
{
	struct mvm_uart *u = dev;
	const uint8_t *p = data;

	pthread_mutex_lock(&u->lock);
	for (uint32_t i = 0; i < len; i++)
		uart_write_reg(u, (unsigned)((offset + i) & 7), p[i]);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

const struct mvm_dev_ops mvm_uart_ops = {
	.name = "uart8250",
	.read = uart_read,
	.write = uart_write,
	.reset = uart_reset,
	.save = uart_save,
	.load = uart_load,
};
/* [/slide:uart-ops] */

int mvm_uart_create(mvm_output_fn *out, void *ctx, mvm_irq_fn *irq,
		    void *irq_ctx, struct mvm_uart **dev)
{
	struct mvm_uart *u;

	if (!dev)
		return -EINVAL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->out = out;
	u->ctx = ctx;
	u->irq = irq;
	u->irq_ctx = irq_ctx;
	pthread_mutex_init(&u->lock, NULL);
	uart_reset(u);
	*dev = u;
	return 0;
}

void mvm_uart_destroy(struct mvm_uart *dev)
{
	if (dev)
		pthread_mutex_destroy(&dev->lock);
	free(dev);
}

void mvm_uart_set_irq(struct mvm_uart *dev, mvm_irq_fn *irq, void *irq_ctx)
{
	pthread_mutex_lock(&dev->lock);
	dev->irq = irq;
	dev->irq_ctx = irq_ctx;
	/* The new wire starts low: report the output as it is now. */
	if (irq && dev->irq_level)
		irq(irq_ctx, 1);
	pthread_mutex_unlock(&dev->lock);
}

size_t mvm_uart_input(struct mvm_uart *dev, const char *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&dev->lock);
	/* stop at a full FIFO: the host keeps the rest (no overrun) */
	while (n < len && dev->r.rx_len < UART_FIFO)
		rx_push(&dev->r, (uint8_t)buf[n++]);
	uart_update_irq(dev);
	pthread_mutex_unlock(&dev->lock);
	return n;
}
