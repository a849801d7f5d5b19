/*
 * cmd.c - the command-line parsers (see cmd.h).
 *
 * Numbers follow the usual debugger conventions: 0x for hex (what a
 * student copies from a register dump), plain digits for decimal. Octal
 * by a leading 0 is deliberately not supported: "010" meaning 8 would
 * surprise everyone who types a decimal count.
 */
#include "cmd.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "minivmm/x86.h"

#include "decode.h"

/* Copies the line so argv can point into it; the caller's line stays
 * intact for the history. */
int dbg_tokenize(const char *line, struct dbg_cmdline *c, char *err,
		 size_t errlen)
{
	c->argc = 0;
	if (strlen(line) >= sizeof(c->buf)) {
		snprintf(err, errlen, "command too long (max %d characters)",
			 DBG_CMD_LEN - 1);
		return -EINVAL;
	}
	strcpy(c->buf, line);
	char *save = NULL;
	for (char *w = strtok_r(c->buf, " \t\r\n", &save); w;
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		if (c->argc == DBG_MAX_ARGS) {
			snprintf(err, errlen, "too many words (max %d)",
				 DBG_MAX_ARGS);
			return -EINVAL;
		}
		c->argv[c->argc++] = w;
	}
	return 0;
}

int dbg_parse_u64(const char *s, uint64_t *v)
{
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		base = 2, s += 2;
	if (!*s)
		return -EINVAL;
	uint64_t r = 0;
	for (; *s; s++) {
		int d;
		if (isdigit((unsigned char)*s))
			d = *s - '0';
		else if (isxdigit((unsigned char)*s))
			d = tolower((unsigned char)*s) - 'a' + 10;
		else if (*s == '_')
			continue; /* 0xffff_8000 as in the layout map */
		else
			return -EINVAL;
		if (d >= base)
			return -EINVAL;
		/* Refuse silently wrapping values: 2^64 is not 0. */
		if (r > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -ERANGE;
		r = r * (uint64_t)base + (uint64_t)d;
	}
	*v = r;
	return 0;
}

/* One term of an expression: a number or a register. Numbers are tried
 * first, so a register named like a hex number could not be read - x86
 * has none ("cr0" and "r8" are not valid numbers). */
static int eval_term(const char *t, const struct kvm_regs *regs,
		     const struct kvm_sregs *sregs, uint64_t *v, char *err,
		     size_t errlen)
{
	int rc = dbg_parse_u64(t, v);
	if (rc == 0)
		return 0;
	if (rc == -ERANGE) {
		snprintf(err, errlen, "number '%s' does not fit in 64 bits", t);
		return -EINVAL;
	}
	const struct dbg_reg *r = dbg_reg_find(t);
	if (r && regs && sregs) {
		*v = dbg_reg_get(r, regs, sregs);
		return 0;
	}
	if (r)
		snprintf(err, errlen, "'%s': no register state to read", t);
	else
		snprintf(err, errlen,
			 "bad address '%s': expected a number (0x1000, 4096) "
			 "or a register (rip, rsp, cr3)",
			 t);
	return -EINVAL;
}

/* Left to right, no precedence: the only operators are + and -, which
 * is all an address needs ("rsp + 8", "rip - 0x10"). */
int dbg_eval(const char *expr, const struct kvm_regs *regs,
	     const struct kvm_sregs *sregs, uint64_t *out, char *err,
	     size_t errlen)
{
	char term[64];
	uint64_t acc = 0;
	int sign = 1, n = 0;
	const char *p = expr;
	for (;;) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, "+- ");
		if (len == 0 || len >= sizeof(term)) {
			snprintf(err, errlen, "bad expression '%s': %s", expr,
				 len ? "term too long" : "missing a term");
			return -EINVAL;
		}
		memcpy(term, p, len);
		term[len] = '\0';
		uint64_t v;
		if (eval_term(term, regs, sregs, &v, err, errlen))
			return -EINVAL;
		acc = sign > 0 ? acc + v : acc - v; /* wraps like the CPU */
		n++;
		p += len;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		sign = *p == '-' ? -1 : 1;
		p++;
	}
	*out = acc;
	return n ? 0 : -EINVAL;
}

/* The segment named by `name`, or NULL. */
static const struct kvm_segment *segment(const char *name,
					 const struct kvm_sregs *sr)
{
	static const char *const names[] = {"cs", "ds", "es", "fs", "gs", "ss"};
	const struct kvm_segment *segs[] = {&sr->cs, &sr->ds, &sr->es,
					    &sr->fs, &sr->gs, &sr->ss};
	if (name[0] == '$')
		name++;
	for (int i = 0; i < 6; i++)
		if (strcasecmp(name, names[i]) == 0)
			return segs[i];
	return NULL;
}

int dbg_eval_addr(const char *expr, const struct kvm_regs *regs,
		  const struct kvm_sregs *sregs, struct dbg_addr *a, char *err,
		  size_t errlen)
{
	const char *colon = strchr(expr, ':');
	memset(a, 0, sizeof(*a));
	if (!colon)
		return dbg_eval(expr, regs, sregs, &a->linear, err, errlen);
	char seg[32];
	size_t n = (size_t)(colon - expr);
	while (n && expr[n - 1] == ' ')
		n--;
	while (*expr == ' ' && n)
		expr++, n--;
	if (!sregs || n == 0 || n >= sizeof(seg)) {
		snprintf(err, errlen, "bad address '%s': expected SEG:OFFSET",
			 expr);
		return -EINVAL;
	}
	memcpy(seg, expr, n);
	seg[n] = '\0';
	int real = !(sregs->cr0 & MVM_CR0_PE);
	int wide = (sregs->efer & MVM_EFER_LMA) && sregs->cs.l;
	uint64_t v;
	const struct kvm_segment *sg = segment(seg, sregs);
	if (sg) {
		a->selector = sg->selector;
		a->base = sg->base;
	} else if (real && dbg_parse_u64(seg, &v) == 0 && v <= 0xffff) {
		a->selector = (uint16_t)v;
		a->base = v << 4;
	} else {
		snprintf(err, errlen,
			 "bad segment '%s': expected cs ds es fs gs ss%s", seg,
			 real ? " or a number up to 0xffff" : "");
		return -EINVAL;
	}
	if (dbg_eval(colon + 1, regs, sregs, &v, err, errlen))
		return -EINVAL;
	a->segmented = 1;
	a->off = wide ? v : real ? v & 0xffff : v & 0xffffffff;
	/* Real mode reaches 0x10ffef (0xffff:0xffff; no A20 wrap-around
	 * on KVM); protected mode wraps at 4 GiB. */
	a->linear = a->base + a->off;
	if (!wide && !real)
		a->linear &= 0xffffffff;
	return 0;
}

/* gdb's unit letters: byte, halfword, word, giant (8 bytes). */
unsigned dbg_xfmt_unit_bytes(char unit)
{
	switch (unit) {
	case 'h':
		return 2;
	case 'w':
		return 4;
	case 'g':
		return 8;
	default:
		return 1;
	}
}

/* Missing letters keep the previous format, as gdb does, so `x/4i`
 * then `x rip` shows instructions again. */
int dbg_parse_xfmt(const char *spec, struct dbg_xfmt *f, char *err,
		   size_t errlen)
{
	const char *p = spec;
	if (isdigit((unsigned char)*p)) {
		unsigned long n = 0;
		while (isdigit((unsigned char)*p) && n <= DBG_X_MAX_BYTES)
			n = n * 10 + (unsigned long)(*p++ - '0');
		if (n == 0 || n > DBG_X_MAX_BYTES) {
			snprintf(err, errlen, "x/%s: count must be 1..%d", spec,
				 DBG_X_MAX_BYTES);
			return -EINVAL;
		}
		f->count = (unsigned)n;
	}
	for (; *p; p++) {
		if (strchr("xdcis", *p))
			f->fmt = *p;
		else if (strchr("bhwg", *p))
			f->unit = *p;
		else {
			snprintf(
				err, errlen,
				"x/%s: unknown letter '%c' (formats x d c i s, "
				"units b h w g)",
				spec, *p);
			return -EINVAL;
		}
	}
	if (f->fmt == 'c')
		f->unit = 'b'; /* characters are bytes, as in gdb */
	if ((unsigned long)f->count * dbg_xfmt_unit_bytes(f->unit) >
	    DBG_X_MAX_BYTES) {
		snprintf(err, errlen, "x/%s: more than %d bytes", spec,
			 DBG_X_MAX_BYTES);
		return -EINVAL;
	}
	return 0;
}

/* "-" means an inclusive end and "+" a length, as in the QEMU monitor;
 * an empty or reversed range is an error, not a silent no-op. */
int dbg_parse_range(const char *s, uint64_t *lo, uint64_t *hi, char *err,
		    size_t errlen)
{
	char a[64];
	size_t len = strcspn(s, "-+");
	if (len == 0 || len >= sizeof(a))
		goto bad;
	memcpy(a, s, len);
	a[len] = '\0';
	if (dbg_parse_u64(a, lo))
		goto bad;
	*hi = *lo;
	if (s[len] == '\0')
		return 0;
	uint64_t b;
	if (dbg_parse_u64(s + len + 1, &b))
		goto bad;
	if (s[len] == '+') {
		if (b == 0 || *lo + b - 1 < *lo)
			goto bad;
		*hi = *lo + b - 1;
	} else {
		*hi = b;
	}
	if (*hi >= *lo)
		return 0;
bad:
	snprintf(err, errlen,
		 "bad range '%s': expected ADDR, FIRST-LAST or START+LEN", s);
	return -EINVAL;
}

/* Used to hand "rsp + 8" (three words) to dbg_eval as one string. */
void dbg_join(const struct dbg_cmdline *c, int from, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int i = from; i < c->argc && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s",
				      i > from ? " " : "", c->argv[i]);
}
