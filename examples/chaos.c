/*
 * chaos.c - a hostile guest: random port I/O, MMIO, MSRs, CPUID and
 * descriptor-table abuse from a seeded generator.
 *
 * What it teaches: the guest is untrusted (STYLE.md 5). Every access
 * here reaches the VMM or KVM with values nobody planned for, and the
 * VMM must go on and say what happened, not crash. The same seed gives
 * the same sequence, so a failure found by CI can be replayed:
 *
 *   mvm run build/examples/chaos.elf     (the seed is printed)
 *
 * Faults are expected: an unknown MSR, a bad selector or a garbage
 * descriptor-table base raise #GP (or #NP, #SS, #UD), so main() first
 * installs an IDT whose 32 handlers (chaos-vectors.S) all do one thing:
 * resume at the address in chaos_recover, which each risky instruction sets to just
 * past itself (a poor man's exception table, like the kernel's
 * _ASM_EXTABLE). Some things are never done, because they would only
 * break the guest, not test the VMM: writing guest RAM through a device
 * (the ucall port, hypercall buffers inside RAM), EFER/CR writes, and
 * segment loads while a garbage GDT is loaded (delivering the fault
 * would need the GDT: a triple fault).
 */
#include "chaos.h"
#include "guest.h"

/* --- the generator: xorshift64* (Marsaglia 2003; Vigna 2016) ----------- */
static uint64_t state;

static uint64_t rnd(void)
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

/* --- exceptions: an IDT of 32 gates that all resume at chaos_recover ---- */
struct __attribute__((packed)) dtr {
	uint16_t limit;
	uint64_t base;
};

/* A 64-bit interrupt gate (Intel SDM Vol. 3A 6.14.1, Figure 6-8). */
struct gate {
	uint16_t off_lo, sel;
	uint8_t ist, type; /* type 0x8e: present, DPL 0, interrupt gate */
	uint16_t off_mid;
	uint32_t off_hi, zero;
};

static struct gate idt[32] __attribute__((aligned(16)));
uint64_t chaos_recover; /* where a handler resumes (set before each op) */
uint64_t chaos_faults;	/* exceptions caught */
uint64_t chaos_vectors; /* bit v: vector v was seen */

/* The handlers (chaos-vectors.S), by vector. */
extern const uint64_t chaos_vector_table[32];

static struct dtr good_gdt, good_idt;

static void idt_install(void)
{
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	for (int v = 0; v < 32; v++) {
		uint64_t a = chaos_vector_table[v];

		idt[v] = (struct gate){.off_lo = (uint16_t)a,
				       .sel = cs,
				       .type = 0x8e,
				       .off_mid = (uint16_t)(a >> 16),
				       .off_hi = (uint32_t)(a >> 32)};
	}
	good_idt = (struct dtr){sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
	__asm__ volatile("lidt %0" : : "m"(good_idt));
	__asm__ volatile("sgdt %0" : "=m"(good_gdt));
}

/*
 * RISKY(insn, ...): run insn with chaos_recover pointing just past it,
 * so a fault resumes at label 1. R11 carries the address; outputs are
 * meaningless after a fault, which is fine: chaos ignores them.
 */
#define RISKY(insn, ...)                                            \
	__asm__ volatile("lea 1f(%%rip), %%r11\n\t"                 \
			 "mov %%r11, chaos_recover(%%rip)\n\t" insn \
			 "\n1:" __VA_ARGS__)

/* --- the operations ------------------------------------------------------ */

static uint8_t arena[256]; /* string I/O and hypercall requests */

/* Any port but the ucall port (our report channel; a random address
 * there could read a forged DONE from RAM). */
static uint16_t any_port(void)
{
	uint16_t p;

	do {
		switch (below(4)) {
		case 0: /* the machine's devices, where the code is */
			p = (uint16_t[]){MVM_PORT_DEBUGCON, MVM_PORT_COM1,
					 MVM_PORT_DEMO, MVM_PORT_CMOS,
					 MVM_PORT_HCALL}[below(5)] +
			    (uint16_t)below(8);
			break;
		case 1:
			p = (uint16_t)below(0x400); /* legacy PC ports */
			break;
		default:
			p = (uint16_t)rnd();
		}
	} while (p >= MVM_PORT_UCALL && p < MVM_PORT_UCALL + 4);
	return p;
}

static void op_port(void)
{
	uint16_t p = any_port();
	uint32_t v = (uint32_t)rnd();

	if (p >= MVM_PORT_HCALL && p < MVM_PORT_HCALL + 4) {
		/* A random request in the arena; its buffer outside RAM
		 * (bit 31 set), so the host's answer lands only here. */
		for (unsigned i = 0; i < 48; i++)
			arena[i] = (uint8_t)rnd();
		*(uint64_t *)(arena + 40) |= 0x80000000u;
		v = (uint32_t)(uintptr_t)arena;
	}
	switch (below(8)) {
	case 0:
		outb(p, (uint8_t)v);
		break;
	case 1:
		outw(p, (uint16_t)v);
		break;
	case 2:
		outl(p, v);
		break;
	case 3:
		(void)inb(p);
		break;
	case 4:
		(void)inw(p);
		break;
	case 5:
		(void)inl(p);
		break;
	case 6: { /* rep outsb: several bytes in one exit */
		uint64_t n = 1 + below(32);
		const void *src = arena;
		__asm__ volatile("rep outsb"
				 : "+S"(src), "+c"(n)
				 : "d"(p)
				 : "memory");
		break;
	}
	default: { /* rep insb: the device writes into the arena */
		uint64_t n = 1 + below(32);
		void *dst = arena;
		__asm__ volatile("rep insb"
				 : "+D"(dst), "+c"(n)
				 : "d"(p)
				 : "memory");
		break;
	}
	}
}

/* A random MMIO address: the window above RAM (mapped, not backed),
 * but never the demo register, whose STOP value would end the run. */
static uint64_t any_mmio(unsigned width)
{
	uint64_t a;

	do
		a = MVM_MMIO_BASE + below((4ULL << 30) - MVM_MMIO_BASE);
	while (a - MVM_MMIO_DEMO_ADDR < 16);
	return a & ~(uint64_t)(width - 1);
}

static void op_mmio(void)
{
	unsigned width = 1u << below(4);
	uint64_t a = any_mmio(width), v = rnd();

	if (below(2)) {
		switch (width) {
		case 1:
			mmio_write8(a, (uint8_t)v);
			break;
		case 2:
			mmio_write16(a, (uint16_t)v);
			break;
		case 4:
			mmio_write32(a, (uint32_t)v);
			break;
		default:
			mmio_write64(a, v);
		}
	} else {
		switch (width) {
		case 1:
			(void)mmio_read8(a);
			break;
		case 2:
			(void)mmio_read16(a);
			break;
		case 4:
			(void)mmio_read32(a);
			break;
		default:
			(void)mmio_read64(a);
		}
	}
}

/* MSRs: reads of anything; writes only where a value cannot hurt the
 * guest itself (not EFER, not the KVM clock MSRs, which make KVM write
 * guest RAM at an address they name). */
static uint32_t any_msr(void)
{
	static const uint32_t known[] = {
		0x10,	    0x1b,	0x3a,	    0x8b,	0xfe,
		0x174,	    0x175,	0x176,	    0x179,	0x1a0,
		0x1d9,	    0x277,	0x2ff,	    0xc0000080, 0xc0000081,
		0xc0000082, 0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102,
		0xc0000103, 0x4b564d00, 0x4b564d01, 0x40000000, MVM_DEMO_MSR,
		0x400000e0, 0x400000e1, 0x400000e2,
	};
	switch (below(3)) {
	case 0:
		return known[below(sizeof(known) / sizeof(known[0]))];
	case 1:
		return (uint32_t)below(0x2000);
	default:
		return (uint32_t)rnd();
	}
}

static int msr_writable(uint32_t m)
{
	return m == MVM_DEMO_MSR || m == 0x400000e1 || m == 0xc0000103 ||
	       (m >= 0x80000000u && m < 0xc0000000u) || /* none defined */
	       (m >= 0x2000 && m < 0x40000000u && m != 0x11 && m != 0x12);
}

static void op_msr(void)
{
	uint32_t m = any_msr(), lo, hi;

	if (below(2) || !msr_writable(m)) {
		RISKY("rdmsr", : "=a"(lo), "=d"(hi) : "c"(m) : "r11", "memory");
	} else {
		uint64_t v = rnd();
		RISKY("wrmsr",
		      :
		      : "c"(m), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
		      : "r11", "memory");
	}
}

static void op_cpuid(void)
{
	static const uint32_t base[] = {0, 0x40000000, 0x80000000, 0x8fff0000};
	uint32_t leaf = base[below(4)] + (uint32_t)below(0x24);

	if (!below(8))
		leaf = (uint32_t)rnd();
	(void)cpuid(leaf,
		    (uint32_t)below(4) ? (uint32_t)below(4) : (uint32_t)rnd());
}

/* Descriptor tables: load garbage, then the good ones back at once (no
 * exception may be delivered in between: it would need them). LGDT and
 * LIDT themselves fault only on a non-canonical base (SDM Vol. 2A,
 * LGDT/LIDT), and then nothing was loaded. */
static void op_tables(void)
{
	struct dtr bad = {(uint16_t)rnd(), rnd()};

	if (below(2))
		bad.base = (uint64_t)(int64_t)(int32_t)bad.base; /* canonical */
	if (below(2)) {
		RISKY("lgdt %0\n\tlgdt %1",
		      :
		      : "m"(bad), "m"(good_gdt)
		      : "r11", "memory");
		__asm__ volatile("lgdt %0" : : "m"(good_gdt));
	} else {
		RISKY("lidt %0\n\tlidt %1",
		      :
		      : "m"(bad), "m"(good_idt)
		      : "r11", "memory");
		__asm__ volatile("lidt %0" : : "m"(good_idt));
	}
}

/* Segment registers with random selectors (SDM Vol. 3A 5.4-5.6: a
 * selector past the GDT limit, a null SS, a code segment in SS, a
 * non-present one: #GP, #SS or #NP), then the originals back. VERR,
 * VERW, LAR and LSL are left out: KVM's instruction emulator, which runs
 * ring-0 code on some backends (quirks.h), does not implement them, and
 * the run would end in an emulation failure (reported, but the end). */
static void op_segments(void)
{
	uint16_t sel = (uint16_t)(below(2) ? rnd() : below(0x100));
	uint16_t ds, es, fs, gs, ss;

	__asm__ volatile("mov %%ds, %0\n\tmov %%es, %1\n\tmov %%fs, %2\n\t"
			 "mov %%gs, %3\n\tmov %%ss, %4"
			 : "=r"(ds), "=r"(es), "=r"(fs), "=r"(gs), "=r"(ss));
	switch (below(6)) {
	case 0:
		RISKY("mov %0, %%ds", : : "r"(sel) : "r11", "memory");
		break;
	case 1:
		RISKY("mov %0, %%es", : : "r"(sel) : "r11", "memory");
		break;
	case 2:
		RISKY("mov %0, %%fs", : : "r"(sel) : "r11", "memory");
		break;
	case 3:
		RISKY("mov %0, %%gs", : : "r"(sel) : "r11", "memory");
		break;
	case 4:
		RISKY("mov %0, %%ss", : : "r"(sel) : "r11", "memory");
		break;
	default:
		RISKY("lldt %0", : : "r"(sel) : "r11", "memory");
	}
	__asm__ volatile("mov %0, %%ds\n\tmov %1, %%es\n\tmov %2, %%fs\n\t"
			 "mov %3, %%gs\n\tmov %4, %%ss"
			 :
			 : "r"(ds), "r"(es), "r"(fs), "r"(gs), "r"(ss)
			 : "memory");
	__asm__ volatile("lldt %w0" : : "r"(0));
}

/* Instructions that fault on purpose: #UD and #BP. */
static void op_faults(void)
{
	if (below(2))
		RISKY("ud2", : : : "r11", "memory");
	else
		RISKY("int3", : : : "r11", "memory");
}

int main(void)
{
	uint64_t seed = *(volatile uint64_t *)CHAOS_SEED_ADDR;
	uint64_t ops = *(volatile uint64_t *)CHAOS_OPS_ADDR;
	struct guest_buf b = GUEST_BUF_INIT;

	if (!seed)
		seed = rdtsc() | 1;
	if (!ops)
		ops = CHAOS_DEFAULT_OPS;
	state = seed;
	gbuf_str(&b, "chaos: seed ");
	gbuf_hex(&b, seed);
	gbuf_str(&b, ", ");
	gbuf_dec(&b, ops);
	gbuf_str(&b, " operations\n");
	GUEST_PRINT(b.s);
	idt_install();
	for (uint64_t i = 0; i < ops; i++) {
		switch (below(8)) {
		case 0:
		case 1:
			op_port();
			break;
		case 2:
			op_mmio();
			break;
		case 3:
			op_msr();
			break;
		case 4:
			op_cpuid();
			break;
		case 5:
			op_tables();
			break;
		case 6:
			op_segments();
			break;
		default:
			op_faults();
		}
	}
	guest_ucall(MVM_UCALL_DONE, "chaos done", seed, ops, chaos_faults,
		    chaos_vectors);
	for (;;)
		hlt();
}
