/*
 * guest.c - the out-of-line half of the guest runtime (see guest.h).
 *
 * Compiled twice, for 32-bit and 64-bit guests. No libc: the few string
 * loops are written out, and -fno-builtin keeps GCC from turning them
 * back into calls to memcpy/strlen that do not exist here.
 */
#include "guest.h"

/*
 * GCC may emit calls to these four even in freestanding code, for struct
 * copies and initialisers (GCC manual, "C Language", -ffreestanding), so
 * every freestanding program must provide them.
 */
void *memcpy(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;

	if (d < s)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	char *d = dst;

	while (n--)
		*d++ = (char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

void guest_print(const char *s)
{
	while (*s)
		outb(MVM_PORT_DEBUGCON, (uint8_t)*s++);
}

/*
 * Divide the 64-bit v by 10 in place and return the remainder. A 64-bit
 * C division would need libgcc's __udivdi3 in a 32-bit guest, so use two
 * DIVL steps: EDX:EAX / 10, where EDX (the remainder so far) < 10 keeps
 * the quotient within 32 bits (Intel SDM Vol. 2A, "DIV").
 */
static uint32_t div10(uint64_t *v)
{
	uint32_t hi = (uint32_t)(*v >> 32), lo = (uint32_t)*v, qhi, qlo, r;

	__asm__("divl %4" : "=a"(qhi), "=d"(r) : "a"(hi), "d"(0u), "r"(10u));
	__asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "r"(10u));
	*v = ((uint64_t)qhi << 32) | qlo;
	return r;
}

void gbuf_str(struct guest_buf *b, const char *s)
{
	while (*s && b->len < sizeof(b->s) - 1)
		b->s[b->len++] = *s++;
	b->s[b->len] = '\0';
}

void gbuf_hex(struct guest_buf *b, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[19] = "0x";
	int shift = 60, i = 2;

	while (shift > 0 && !((v >> shift) & 0xf))
		shift -= 4; /* skip leading zeros, keep at least one digit */
	for (; shift >= 0; shift -= 4)
		tmp[i++] = digits[(v >> shift) & 0xf];
	tmp[i] = '\0';
	gbuf_str(b, tmp);
}

void gbuf_dec(struct guest_buf *b, uint64_t v)
{
	char tmp[21];
	int i = 20;

	tmp[i] = '\0';
	do
		tmp[--i] = (char)('0' + div10(&v));
	while (v);
	gbuf_str(b, &tmp[i]);
}

void guest_print_hex(uint64_t v)
{
	struct guest_buf b = GUEST_BUF_INIT;

	gbuf_hex(&b, v);
	guest_print(b.s);
}

void guest_print_dec(uint64_t v)
{
	struct guest_buf b = GUEST_BUF_INIT;

	gbuf_dec(&b, v);
	guest_print(b.s);
}

/*
 * The ucall mailbox lives at a fixed address (layout.h), not in the
 * image: then even a guest whose own memory is not writable can make
 * calls, and the host knows where to look in a memory dump. Each vCPU
 * has its own, MVM_UCALL_ADDR_OF(its index), so two vCPUs calling at
 * once do not overwrite each other's text. Identity mapping makes the
 * virtual and guest-physical address equal.
 */
/* [slide:guest-ucall] */
void guest_ucall(uint64_t cmd, const char *text, uint64_t a0, uint64_t a1,
		 uint64_t a2, uint64_t a3)
{
	uint64_t gpa = MVM_UCALL_ADDR_OF(guest_cpu());
	volatile struct mvm_ucall *uc =
		(volatile struct mvm_ucall *)(uintptr_t)gpa;
	size_t i = 0;

	uc->cmd = cmd;
	uc->args[0] = a0;
	uc->args[1] = a1;
	uc->args[2] = a2;
	uc->args[3] = a3;
	for (; text && text[i] && i < MVM_UCALL_TEXT - 1; i++)
		uc->text[i] = text[i];
	uc->text[i] = '\0';
	/* One 4-byte OUT of the mailbox's address is the whole call; the
	 * "memory" clobber in outl() orders the stores above before it. */
	outl(MVM_PORT_UCALL, (uint32_t)gpa);
}
/* [/slide:guest-ucall] */

void guest_exit(int rc)
{
	if (rc == 0)
		GUEST_DONE();
	else
		guest_ucall(MVM_UCALL_ASSERT, "main() returned non-zero", 0, 1,
			    (uint64_t)(int64_t)rc, 0);
	for (;;)
		hlt();
}
