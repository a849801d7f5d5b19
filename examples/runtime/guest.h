/*
 * guest.h - the runtime for freestanding C guests (32- and 64-bit).
 *
 * A guest has no libc, no OS and no devices except what the VMM
 * emulates, so everything here is a few instructions wrapped in inline
 * assembly. Each wrapper is also a lesson in which instructions make the
 * CPU leave the guest (a "VM exit"):
 *
 *   outb/inb ...      port I/O: always exits to the VMM (unless the VMM
 *                     set up an in-kernel handler such as ioeventfd)
 *   mmio_read/write   loads/stores: exit only where no RAM is mapped
 *   cpuid             exits, but KVM answers it in the kernel
 *   rdmsr/wrmsr       KVM handles known MSRs in the kernel; others #GP
 *                     unless the VMM asked for user-space MSR exits
 *   hlt               exits as KVM_EXIT_HLT when there is no in-kernel
 *                     interrupt controller
 *
 * Talking to the host: guest_print() writes bytes to the debug console
 * port (one exit per byte, simple and visible in a trace); the GUEST_*
 * macros use the ucall protocol of <minivmm/ucall.h> (one exit per call,
 * structured: the host test can check stages, assertions and values).
 *
 * Build flags (see examples/build.mk) matter for correctness: no SSE or
 * x87 code, because the VMM does not manage the guest's FPU state and
 * some KVM backends cannot emulate those instructions; no red zone,
 * because an interrupt or exception taken at the same privilege level
 * pushes its frame right below RSP (Intel SDM Vol. 3A 6.14.2) and would
 * overwrite it.
 */
#ifndef MVM_GUEST_H
#define MVM_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "minivmm/layout.h"
#include "minivmm/ucall.h"

/* --- port I/O (Intel SDM Vol. 1, 19.2: a separate 64 KiB address space) */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

/*
 * --- MMIO. A volatile access of exactly the given width is one load or
 * store instruction, so the VMM sees one MMIO exit of that length.
 * Addresses are guest-physical (identity-mapped in long mode).
 */
#define GUEST_MMIO_ACCESSORS(bits)                                          \
	static inline void mmio_write##bits(uint64_t gpa, uint##bits##_t v) \
	{                                                                   \
		*(volatile uint##bits##_t *)(uintptr_t)gpa = v;             \
	}                                                                   \
	static inline uint##bits##_t mmio_read##bits(uint64_t gpa)          \
	{                                                                   \
		return *(volatile uint##bits##_t *)(uintptr_t)gpa;          \
	}
GUEST_MMIO_ACCESSORS(8)
GUEST_MMIO_ACCESSORS(16)
GUEST_MMIO_ACCESSORS(32)
GUEST_MMIO_ACCESSORS(64)

/* --- CPU identification and model-specific registers ----------------- */
struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

/* CPUID leaf/subleaf (Intel SDM Vol. 2A, "CPUID"). */
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

/* RDMSR/WRMSR: ECX selects the MSR, EDX:EAX hold the value (SDM 2B). */
/* This vCPU's index: its initial APIC ID, CPUID leaf 1 EBX[31:24] (Intel
 * SDM Vol. 2A, CPUID), which the VMM sets to the vCPU number. */
static inline unsigned guest_cpu(void)
{
	return cpuid(1, 0).ebx >> 24;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

/* Time-stamp counter (SDM Vol. 3B 18.17); usable at any CPL while
 * CR4.TSD = 0. */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void hlt(void)
{
	__asm__ volatile("hlt" : : : "memory");
}

/* The C library functions GCC may call on its own (defined in guest.c). */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* --- output on the debug console (one exit per byte) ------------------ */
void guest_print(const char *s);
void guest_print_hex(uint64_t v); /* "0x" and hex digits, no leading 0s */
void guest_print_dec(uint64_t v);

/* --- building a message in memory (then one GUEST_PRINT = one exit) --- */
struct guest_buf {
	char s[MVM_UCALL_TEXT]; /* always NUL-terminated; long text is cut */
	size_t len;		/* characters in s */
};
#define GUEST_BUF_INIT            \
	{                         \
		.s = "", .len = 0 \
	}
void gbuf_str(struct guest_buf *b, const char *s);
void gbuf_hex(struct guest_buf *b, uint64_t v);
void gbuf_dec(struct guest_buf *b, uint64_t v);

/* --- ucall: structured calls to the host (minivmm/ucall.h) ------------- */
void guest_ucall(uint64_t cmd, const char *text, uint64_t a0, uint64_t a1,
		 uint64_t a2, uint64_t a3);
/* main() returned rc: DONE when 0, else an ASSERT naming rc; then HLT. */
void guest_exit(int rc) __attribute__((noreturn));

#define GUEST_STR_(x) #x
#define GUEST_STR(x)  GUEST_STR_(x)
#define GUEST_WHERE   "@" __FILE__ ":" GUEST_STR(__LINE__)

/*
 * Argument layout of an ASSERT ucall (what `mvm run` and the tests
 * print): text = "expr@file:line", args[0] = line, args[1] = 1 when
 * args[2] and args[3] hold the two compared values (GUEST_ASSERT_EQ).
 */
/* [slide:guest-macros] */
#define GUEST_SYNC(stage) \
	guest_ucall(MVM_UCALL_SYNC, "sync" GUEST_WHERE, (stage), 0, 0, 0)
#define GUEST_PRINT(str) guest_ucall(MVM_UCALL_PRINT, (str), 0, 0, 0, 0)
#define GUEST_DONE()	 guest_ucall(MVM_UCALL_DONE, "done", 0, 0, 0, 0)
#define GUEST_ASSERT(expr)                                               \
	do {                                                             \
		if (!(expr))                                             \
			guest_ucall(MVM_UCALL_ASSERT, #expr GUEST_WHERE, \
				    __LINE__, 0, 0, 0);                  \
	} while (0)
#define GUEST_ASSERT_EQ(a, b)                                                  \
	do {                                                                   \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);               \
		if (a_ != b_)                                                  \
			guest_ucall(MVM_UCALL_ASSERT,                          \
				    #a " == " #b GUEST_WHERE, __LINE__, 1, a_, \
				    b_);                                       \
	} while (0)
/* [/slide:guest-macros] */

#endif
