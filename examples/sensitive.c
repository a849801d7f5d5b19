/*
 * sensitive.c - why x86 was not classically virtualizable, run live.
 *
 * Popek and Goldberg (CACM 17(7), 1974) showed that trap-and-emulate
 * works when every *sensitive* instruction (one that reads or changes
 * privileged state) is also *privileged* (traps when run outside the
 * most privileged mode). Robin and Irvine ("Analysis of the Intel
 * Pentium's Ability to Support a Secure Virtual Machine Monitor", USENIX
 * Security 2000, section 4) listed seventeen x86 instructions that break
 * the rule: they run at CPL 3 without trapping and give the wrong answer.
 *
 * This guest plays both parts of a pre-VT hypervisor on one vCPU:
 *
 *   ring 0  the "VMM": its #GP handler is where a trap-and-emulate VMM
 *           would take over (here it only records the trap and resumes);
 *   ring 3  the deprivileged "guest kernel" (ring compression): it runs
 *           each instruction and reports what it saw.
 *
 * Each probe arms a resume address (fixup_rip) and runs one instruction.
 * If it traps, the handler notes the vector and returns there; if not,
 * the kernel prints the value it got, the "wrong answer" a kernel running
 * at CPL 3 believes. KVM never shows these #GPs to the VMM in user space:
 * they are ordinary guest exceptions, delivered through the guest's IDT
 * (Intel SDM Vol. 3A 6.12), so the guest's own ring-0 handler stands in
 * for the VMM.
 *
 * CR4.UMIP (SDM Vol. 3A 2.5; CPUID.07H:ECX[2]) makes SGDT, SIDT, SLDT,
 * SMSW and STR fault at CPL > 0: hardware closing part of the gap. CR4
 * can only be set before the first trip to ring 3 (on some nested KVM
 * backends ring-0 code after a return from ring 3 can no longer run
 * privileged instructions), so the UMIP table is a second image,
 * sensitive-umip.elf (the same code built with SENSITIVE_UMIP = 1).
 *
 * Output from ring 3 is a ucall over MMIO (kernel_say()): ring-3 code has
 * IOPL 0, so the runtime's OUT would itself #GP, and on the same nested
 * backends a ring-0 handler entered from ring 3 cannot do port I/O
 * either. The VMM's ucall device answers at MVM_MMIO_UCALL_ADDR too.
 *
 *   mvm run build/examples/sensitive.elf
 *   mvm run build/examples/sensitive-umip.elf
 */
#include "guest.h"
#include "irq.h"
#include "minivmm/modes.h"
#include "minivmm/pagetable.h"

#ifndef SENSITIVE_UMIP
#define SENSITIVE_UMIP 0
#endif

#define PAGE_2M	   (2ULL << 20)
#define USER_FLAGS (MVM_PTE_P | MVM_PTE_RW | MVM_PTE_US)
#define RFLAGS_IF  (1ULL << 9) /* SDM Vol. 1 3.4.3 */
#define RFLAGS_ZF  (1ULL << 6)
#define CR4_UMIP   (1ULL << 11) /* SDM Vol. 3A 2.5 */
#define VEC_UD	   6
#define VEC_GP	   13
#define VEC_PF	   14
#define NO_TRAP	   (-1)

/* The machine's GDT (modes.h) already has ring-3 descriptors. */
#define SEL_USER_CODE (MVM_SEL_UCODE64 | 3)
#define SEL_USER_DATA (MVM_SEL_UDATA | 3)

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd_low[512] __attribute__((aligned(4096)));
static uint64_t pd_mmio[512] __attribute__((aligned(4096)));
static uint8_t user_stack[16384] __attribute__((aligned(16)));

/* The guest kernel's own descriptor tables: what it loads with LGDT and
 * LIDT and so what SGDT and SIDT should give back. */
static uint64_t kernel_gdt[8] __attribute__((aligned(16)));
static uint64_t kernel_idt[32] __attribute__((aligned(16)));

/* Shared by the ring-3 probes and the ring-0 handler. The handler writes
 * them, so they are volatile; fixup_rip is named in inline assembly. */
volatile uint64_t fixup_rip;
static volatile int trap_vector = NO_TRAP;
static volatile uint64_t trap_error;

struct frame { /* what the CPU pushes (SDM Vol. 3A 6.14.2) */
	uint64_t rip, cs, rflags, rsp, ss;
};

struct dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* --- ring 0: the "VMM" ----------------------------------------------- */

/*
 * A trap-and-emulate VMM would decode the instruction here and emulate
 * it on the guest kernel's virtual state. This one records the trap and
 * resumes the kernel at the probe's fixup address. It also keeps the
 * real RFLAGS.IF set, as a VMM must to keep its timer: which is why the
 * kernel's PUSHF shows IF = 1 whatever it asked for.
 */
static void trapped(struct frame *f, int vector, uint64_t error)
{
	trap_vector = vector;
	trap_error = error;
	f->rip = fixup_rip;
	f->rflags |= RFLAGS_IF;
}

__attribute__((interrupt)) static void on_gp(struct frame *f, uint64_t error)
{
	trapped(f, VEC_GP, error);
}

__attribute__((interrupt)) static void on_pf(struct frame *f, uint64_t error)
{
	trapped(f, VEC_PF, error);
}

__attribute__((interrupt)) static void on_ud(struct frame *f)
{
	trapped(f, VEC_UD, 0);
}

/* guest_idt_set() takes the one-argument handler type; an exception with
 * an error code needs the two-argument form (GCC's interrupt attribute).
 * The gate only holds an address, so cast by way of void (*)(void). */
#define GATE(fn) ((guest_isr_fn *)(void (*)(void))(fn))

/* A ucall from ring 3 (minivmm/ucall.h): the mailbox filled as the
 * runtime's guest_ucall() does, then a 4-byte MMIO store of its address
 * where the runtime does an OUT. The mailbox page is user-accessible. */
static void kernel_say(uint64_t cmd, const char *text)
{
	uint64_t gpa = MVM_UCALL_ADDR_OF(guest_cpu());
	volatile struct mvm_ucall *uc =
		(volatile struct mvm_ucall *)(uintptr_t)gpa;
	size_t i = 0;

	uc->cmd = cmd;
	for (; text[i] && i < MVM_UCALL_TEXT - 1; i++)
		uc->text[i] = text[i];
	uc->text[i] = '\0';
	mmio_write32(MVM_MMIO_UCALL_ADDR, (uint32_t)gpa);
}

/* --- ring 3: the probes ---------------------------------------------- */

/* Arm the fixup at the local label 1: that ends the probe. */
#define ARM "lea 1f(%%rip), %%r11\n\tmov %%r11, fixup_rip(%%rip)\n\t"
#define END "\n1:"

struct probe {
	const char *name;
	int sensitive; /* 1: sensitive but unprivileged; 0: privileged */
	void (*run)(struct guest_buf *b); /* says what it saw if no trap */
};

static void say(struct guest_buf *b, const char *what, uint64_t v,
		const char *why)
{
	gbuf_str(b, what);
	if (v < 10)
		gbuf_dec(b, v); /* a flag */
	else
		gbuf_hex(b, v);
	gbuf_str(b, why);
}

/* SGDT/SIDT store the descriptor-table register (SDM Vol. 2B, SGDT). */
#define TABLE_PROBE(fn, insn, what, mine)            \
	static void fn(struct guest_buf *b)          \
	{                                            \
		struct dtr d = {0};                  \
		__asm__ volatile(ARM insn " %0" END  \
				 : "=m"(d)           \
				 :                   \
				 : "r11", "memory"); \
		say(b, "base ", d.base,              \
		    ", the VMM's " what ", not the " \
		    "kernel's ");                    \
		gbuf_hex(b, (uintptr_t)(mine));      \
	}
TABLE_PROBE(p_sgdt, "sgdt", "GDT", kernel_gdt)
TABLE_PROBE(p_sidt, "sidt", "IDT", kernel_idt)

/* Instructions that leave a selector or a word in a register. */
#define REG_PROBE(fn, insn, what, why)                                    \
	static void fn(struct guest_buf *b)                               \
	{                                                                 \
		uint64_t v = 0;                                           \
		__asm__ volatile(ARM insn " %0" END : "+r"(v) : : "r11"); \
		say(b, what, v & 0xffff, why);                            \
	}
REG_PROBE(p_sldt, "sldt", "LDTR ", ", the VMM's LDT selector")
REG_PROBE(p_smsw, "smsw", "MSW ", ", the real CR0's low bits (PE, MP, ET, NE)")
REG_PROBE(p_str, "str", "TR ", ", the VMM's TSS")
/* PUSH CS (0x0e) would show the same as MOV, but it is invalid in 64-bit
 * mode (SDM Vol. 2B, PUSH); a far CALL pushes the same CS. */
REG_PROBE(p_mov_cs, "mov %%cs,",
	  "CS = ", ": RPL 3, the kernel can see it is not in ring 0")
REG_PROBE(p_mov_ss, "mov %%ss,", "SS = ", ": RPL 3")

/* The kernel disables interrupts (CLI traps; a VMM would clear its
 * virtual IF) and then looks at its flags. */
static void p_pushf(struct guest_buf *b)
{
	uint64_t fl = 0;

	__asm__ volatile(ARM "cli" END : : : "r11", "memory");
	trap_vector = NO_TRAP; /* the CLI trapped; PUSHF is the probe */
	__asm__ volatile(ARM "pushfq\n\tpopq %0" END
			 : "=r"(fl)
			 :
			 : "r11", "memory");
	say(b, "IF = ", !!(fl & RFLAGS_IF),
	    " right after the kernel's CLI (the real flag)");
}

/* POPF of a value with IF = 0 at CPL > IOPL leaves IF alone and does
 * not fault (SDM Vol. 2B, POPF): the VMM never hears of it. */
static void p_popf(struct guest_buf *b)
{
	uint64_t fl = 0;

	__asm__ volatile(ARM "pushq $0x2\n\tpopfq\n\tpushfq\n\tpopq %0" END
			 : "=r"(fl)
			 :
			 : "r11", "memory", "cc");
	say(b, "popped IF = 0, IF is ", !!(fl & RFLAGS_IF),
	    ": ignored, and no trap tells the VMM");
}

/* LAR/LSL/VERR/VERW check DPL against CPL (SDM Vol. 2A/2B): from CPL 3
 * the kernel's own DPL-0 segments look invalid (ZF = 0), no trap. */
#define SEG_CHECK(fn, insn, sel, what)                                    \
	static void fn(struct guest_buf *b)                               \
	{                                                                 \
		uint64_t fl = 0, v = 0;                                   \
		__asm__ volatile(ARM insn " %w2" SEG_OUT "\n\tpushfq\n\t" \
					  "popq %0" END                   \
				 : "=r"(fl), "+r"(v)                      \
				 : "r"((uint64_t)(sel))                   \
				 : "r11", "memory", "cc");                \
		say(b, "ZF = ", !!(fl & RFLAGS_ZF),                       \
		    ": the kernel's own " what " ");                      \
		gbuf_hex(b, sel);                                         \
		gbuf_str(b, " looks invalid");                            \
	}
#define SEG_OUT ", %1"
SEG_CHECK(p_lar, "lar", MVM_SEL_CODE64, "code segment")
SEG_CHECK(p_lsl, "lsl", MVM_SEL_DATA, "data segment")
#undef SEG_OUT
#define SEG_OUT ""
SEG_CHECK(p_verr, "verr", MVM_SEL_CODE64, "code segment")
SEG_CHECK(p_verw, "verw", MVM_SEL_DATA, "data segment")
#undef SEG_OUT

/* Privileged: each must trap; if one did not, say so. */
#define PRIV(fn, text)                                                     \
	static void fn(struct guest_buf *b)                                \
	{                                                                  \
		uint64_t v = 0;                                            \
		__asm__ volatile(ARM text END                              \
				 : "+a"(v)                                 \
				 : "c"(0), "d"(0)                          \
				 : "r11", "memory", "cc");                 \
		say(b, "RAX = ", v, " and no trap: privileged work done"); \
	}
PRIV(p_cli, "cli")
PRIV(p_sti, "sti")
PRIV(p_hlt, "hlt")
PRIV(p_in, "inb $0x70, %%al")
PRIV(p_out, "outb %%al, $0x80")
PRIV(p_rd_cr3, "mov %%cr3, %%rax")
PRIV(p_wr_cr3, "mov %%rax, %%cr3")
PRIV(p_wr_cr0, "mov %%cr0, %%rax")
PRIV(p_lgdt, "lgdt kernel_gdtr(%%rip)")
PRIV(p_lidt, "lidt kernel_idtr(%%rip)")
PRIV(p_lldt, "lldt %%ax")
PRIV(p_ltr, "ltr %%ax")
PRIV(p_lmsw, "lmsw %%ax")
PRIV(p_clts, "clts")
PRIV(p_invlpg, "invlpg (%%rsp)")
PRIV(p_wbinvd, "wbinvd")
PRIV(p_rdmsr, "rdmsr")
PRIV(p_wrmsr, "wrmsr")

/* What LGDT/LIDT load: the kernel's own tables. */
struct dtr kernel_gdtr, kernel_idtr;

static const struct probe probes[] = {
	{"SGDT", 1, p_sgdt},
	{"SIDT", 1, p_sidt},
	{"SLDT", 1, p_sldt},
	{"SMSW", 1, p_smsw},
	{"STR", 1, p_str},
	{"PUSHF", 1, p_pushf},
	{"POPF", 1, p_popf},
	{"MOV r, CS", 1, p_mov_cs},
	{"MOV r, SS", 1, p_mov_ss},
	{"LAR", 1, p_lar},
	{"LSL", 1, p_lsl},
	{"VERR", 1, p_verr},
	{"VERW", 1, p_verw},
	{"CLI", 0, p_cli},
	{"STI", 0, p_sti},
	{"HLT", 0, p_hlt},
	{"IN", 0, p_in},
	{"OUT", 0, p_out},
	{"MOV r, CR3", 0, p_rd_cr3},
	{"MOV CR3, r", 0, p_wr_cr3},
	{"MOV r, CR0", 0, p_wr_cr0},
	{"LGDT", 0, p_lgdt},
	{"LIDT", 0, p_lidt},
	{"LLDT", 0, p_lldt},
	{"LTR", 0, p_ltr},
	{"LMSW", 0, p_lmsw},
	{"CLTS", 0, p_clts},
	{"INVLPG", 0, p_invlpg},
	{"WBINVD", 0, p_wbinvd},
	{"RDMSR", 0, p_rdmsr},
	{"WRMSR", 0, p_wrmsr},
};

static const char *const vec_names[] = {
	[VEC_UD] = "#UD", [VEC_GP] = "#GP", [VEC_PF] = "#PF"};

static void pad(struct guest_buf *b, size_t col)
{
	while (b->len < col)
		gbuf_str(b, " ");
}

/* One row: name, kind, then "trapped (...)" or "ran silently: ...". */
static void run_probe(const struct probe *p)
{
	struct guest_buf b = GUEST_BUF_INIT, saw = GUEST_BUF_INIT;

	gbuf_str(&b, p->name);
	pad(&b, 12);
	gbuf_str(&b, p->sensitive ? "sensitive   " : "privileged  ");
	trap_vector = NO_TRAP;
	p->run(&saw);
	if (trap_vector != NO_TRAP) {
		gbuf_str(&b, "trapped (");
		gbuf_str(&b, vec_names[trap_vector]);
		gbuf_str(&b, " into the ring-0 handler, where a "
			     "trap-and-emulate VMM takes over)");
	} else {
		gbuf_str(&b, "ran silently: ");
		gbuf_str(&b, saw.s);
	}
	gbuf_str(&b, "\n");
	kernel_say(MVM_UCALL_PRINT, b.s);
}

static void __attribute__((noreturn)) kernel_main(void)
{
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		run_probe(&probes[i]);
	kernel_say(MVM_UCALL_PRINT,
		   "sensitive: each \"ran silently\" is a sensitive "
		   "instruction a VMM never sees (Robin & Irvine 2000)\n");
	kernel_say(MVM_UCALL_DONE, "done");
	for (;;)
		; /* DONE stopped the run; ring 3 cannot HLT */
}

/* --- ring 0 setup: page tables, IDT, CR4, then IRETQ to ring 3 --------- */

/* Identity-map 0-1 GiB and 3-4 GiB (MMIO: ucall) with user-accessible
 * 2 MiB pages (SDM Vol. 3A 4.6: U/S must be set at every level). */
static void build_user_page_tables(void)
{
	for (uint64_t i = 0; i < 512; i++) {
		pd_low[i] = (i * PAGE_2M) | USER_FLAGS | MVM_PTE_PS;
		pd_mmio[i] = ((3ULL << 30) + i * PAGE_2M) | USER_FLAGS |
			     MVM_PTE_PS | MVM_PTE_PCD;
	}
	pdpt[0] = (uintptr_t)pd_low | USER_FLAGS;
	pdpt[3] = (uintptr_t)pd_mmio | USER_FLAGS;
	pml4[0] = (uintptr_t)pdpt | USER_FLAGS;
	__asm__ volatile("mov %0, %%cr3" : : "r"((uintptr_t)pml4) : "memory");
}

static int cpu_has_umip(void)
{
	return cpuid(0, 0).eax >= 7 && (cpuid(7, 0).ecx & (1u << 2));
}

static void __attribute__((noreturn)) enter_ring3(void (*fn)(void))
{
	uintptr_t sp = (uintptr_t)&user_stack[sizeof(user_stack)];

	__asm__ volatile("pushq %0\n\t"
			 "pushq %1\n\t"
			 "pushq %2\n\t"
			 "pushq %3\n\t"
			 "pushq %4\n\t"
			 "iretq"
			 :
			 : "i"(SEL_USER_DATA), "r"(sp), "i"(0x202),
			   "i"(SEL_USER_CODE), "r"((uintptr_t)fn)
			 : "memory");
	__builtin_unreachable();
}

int main(void)
{
	uint64_t cr4;

	if (SENSITIVE_UMIP && !cpu_has_umip()) {
		GUEST_PRINT("sensitive: CPUID.07H:ECX.UMIP = 0, this CPU has "
			    "no UMIP: nothing to show\n");
		return 0;
	}
	kernel_gdtr =
		(struct dtr){sizeof(kernel_gdt) - 1, (uintptr_t)kernel_gdt};
	kernel_idtr =
		(struct dtr){sizeof(kernel_idt) - 1, (uintptr_t)kernel_idt};
	guest_idt_load();
	guest_idt_set(VEC_GP, GATE(on_gp));
	guest_idt_set(VEC_PF, GATE(on_pf));
	guest_idt_set(VEC_UD, GATE(on_ud));
	build_user_page_tables();
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	if (SENSITIVE_UMIP)
		__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_UMIP));
	GUEST_PRINT(SENSITIVE_UMIP
			    ? "sensitive: the kernel runs at CPL 3, the VMM at "
			      "CPL 0; CR4.UMIP = 1\n"
			    : "sensitive: the kernel runs at CPL 3, the VMM at "
			      "CPL 0; CR4.UMIP = 0\n");
	GUEST_PRINT("instruction kind        result at CPL 3\n");
	enter_ring3(kernel_main);
}
