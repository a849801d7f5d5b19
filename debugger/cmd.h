/*
 * cmd.h - parsing what the user types: words, numbers, address
 * expressions, gdb's x/Nfu format and ranges.
 *
 * Nothing here touches a VM, so every rule is unit-tested on strings
 * (tests/test_cmd.c). Every parser returns 0 or -EINVAL and, on error,
 * writes one line into err saying what was wrong and what was expected:
 * the TUI shows that line in its status bar.
 */
#ifndef DBG_CMD_H
#define DBG_CMD_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#define DBG_MAX_ARGS 12
#define DBG_CMD_LEN  256

/* A command line split at blanks. */
struct dbg_cmdline {
	int argc;
	char *argv[DBG_MAX_ARGS]; /* point into buf */
	char buf[DBG_CMD_LEN];
};

/* Split line into words. Empty lines give argc 0. -EINVAL when the line
 * is too long or has too many words. */
int dbg_tokenize(const char *line, struct dbg_cmdline *c, char *err,
		 size_t errlen);

/* A number: 0x1f (hex), 31 (decimal), 0b11111 (binary). */
int dbg_parse_u64(const char *s, uint64_t *v);

/*
 * An address expression: terms joined by + and -, a term being a number
 * or a register name ("rip", "$rsp", "cr3"). Blanks are allowed:
 * "rsp + 8". regs/sregs may be NULL when no state is available (then
 * register names are an error).
 */
int dbg_eval(const char *expr, const struct kvm_regs *regs,
	     const struct kvm_sregs *sregs, uint64_t *out, char *err,
	     size_t errlen);

/*
 * An address as 16- and 32-bit code writes it: "SEG:OFFSET" ("ss:sp",
 * "es:di + 4", "0x9000:0xf000"), or a plain expression (a linear
 * address, as gdb takes it). SEG is a segment register, whose base the
 * CPU adds (its hidden descriptor cache, Intel SDM Vol. 3A 3.4.3), or in
 * real mode a number, a paragraph: base = SEG * 16 (SDM Vol. 3A
 * 20.1.1). The offset wraps at the mode's address size (64 KiB in real
 * mode). sregs is needed for the SEG form.
 */
struct dbg_addr {
	uint64_t linear;   /* where it points */
	int segmented;	   /* 1: given as SEG:OFFSET */
	uint16_t selector; /* SEG's selector (or paragraph) */
	uint64_t base;	   /* SEG's base */
	uint64_t off;	   /* OFFSET after wrapping */
};
int dbg_eval_addr(const char *expr, const struct kvm_regs *regs,
		  const struct kvm_sregs *sregs, struct dbg_addr *a, char *err,
		  size_t errlen);

/* gdb's examine format: x/NFU (Debugging with GDB, "Examining Memory"). */
struct dbg_xfmt {
	unsigned count; /* N: units (or instructions) to show */
	char fmt;	/* F: 'x' hex, 'd' decimal, 'c' char, 'i' instruction,
		     's' NUL-terminated string */
	char unit;	/* U: 'b' 1, 'h' 2, 'w' 4, 'g' 8 bytes */
};

#define DBG_X_MAX_BYTES 4096 /* largest dump one command shows */

/* Parse the part after "x/" (may be ""; missing letters keep *f's
 * defaults). Order of F and U is free, as in gdb. */
int dbg_parse_xfmt(const char *spec, struct dbg_xfmt *f, char *err,
		   size_t errlen);
/* Bytes per unit: 1, 2, 4 or 8. */
unsigned dbg_xfmt_unit_bytes(char unit);

/* A range: "0x3f8" (one), "0x3f8-0x3ff" (inclusive), "0x3f8+8"
 * (start + length). *lo <= *hi on success. */
int dbg_parse_range(const char *s, uint64_t *lo, uint64_t *hi, char *err,
		    size_t errlen);

/* Join argv[from..argc) with blanks into buf (for expressions). */
void dbg_join(const struct dbg_cmdline *c, int from, char *buf, size_t len);

#endif
