/*
 * walk2d_fmt.c - a 2D walk as text: the grid of numbered references.
 *
 * `mvm run --walk`, the debugger's `walk2d` and the gdb stub's `monitor
 * walk2d` all show a walk (walk2d.c) the same way, so the text is made
 * here, once, into a caller's buffer (the library never prints):
 *
 *   2D walk of GVA 0x401234 (read), CR3 0x9000
 *     guest 2 MiB page (3 levels), EPT 4 KiB pages (4 levels): 19
 *     references = (3 + 1) x (4 + 1) - 1
 *              EPT L4  EPT L3  EPT L2  EPT L1   guest
 *     PML4E        1       2       3       4       5
 *     PDPTE        6       7       8       9      10
 *     PDE         11      12      13      14      15
 *     data        16      17      18      19
 *     1  EPT L4[0]       for GPA 0x9000     at ept+0x0000  = 0x...
 *     ...
 *   GVA 0x401234 -> GPA 0x401234 -> host 0x7f... (slot 0 + 0x401234)
 *
 * Rows are the guest levels, columns the EPT levels (Intel SDM Vol. 3C
 * 29.3; the grid of walk2d.c). With MVM_WALK2D_STABLE host addresses are
 * written as an offset into the EPT pool or a slot, which is the same in
 * every run (for tests and slides).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

struct out {
	char *buf;
	size_t len, off; /* off may pass len: the length wanted */
};

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->off < o->len ? o->buf + o->off : NULL,
		      o->off < o->len ? o->len - o->off : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->off += (size_t)n;
}

/* A host address as text: raw, or (stable) relative to the EPT pool or
 * the slot that holds it. */
static const char *host(const struct mvm_memmap *mem, const struct mvm_ept *e,
			uint64_t a, unsigned flags, char *s, size_t n)
{
	uint64_t pool = (uint64_t)(uintptr_t)e->pool;
	int i;

	if (!(flags & MVM_WALK2D_STABLE)) {
		snprintf(s, n, "0x%llx", (unsigned long long)a);
		return s;
	}
	if (a >= pool && a - pool < e->ntables * 4096ULL) {
		snprintf(s, n, "ept+0x%llx", (unsigned long long)(a - pool));
		return s;
	}
	for (i = 0; i < MVM_MAX_SLOTS; i++) {
		const struct mvm_slot *sl = &mem->slots[i];
		uint64_t b = (uint64_t)(uintptr_t)sl->hva;

		if (sl->used && a >= b && a - b < sl->size) {
			snprintf(s, n, "slot%u+0x%llx", sl->id,
				 (unsigned long long)(a - b));
			return s;
		}
	}
	snprintf(s, n, "?");
	return s;
}

static const char *size_name(uint64_t size)
{
	return size == MVM_PAGE_1G   ? "1 GiB"
	       : size == MVM_PAGE_2M ? "2 MiB"
				     : "4 KiB";
}

static const char *const row_name[5] = {"data", "PTE", "PDE", "PDPTE", "PML4E"};

static void grid(struct out *o, const struct mvm_walk2d *w)
{
	int row, col, i;

	put(o, "             EPT L4  EPT L3  EPT L2  EPT L1   guest\n");
	for (row = 4; row >= 0; row--) {
		int any = 0;

		for (i = 0; i < w->nrefs; i++)
			any |= w->refs[i].row == row;
		if (!any)
			continue;
		put(o, "  %-6s", row_name[row]);
		for (col = 4; col >= 0; col--) {
			int n = 0;

			for (i = 0; i < w->nrefs && !n; i++)
				if (w->refs[i].row == row &&
				    w->refs[i].col == col)
					n = i + 1;
			if (n)
				put(o, "%8d", n);
			else if (col || row)
				put(o, "%8s", "-");
		}
		put(o, "\n");
	}
}

static void refs(struct out *o, const struct mvm_memmap *mem,
		 const struct mvm_ept *e, const struct mvm_walk2d *w,
		 unsigned flags)
{
	char at[48], what[24];
	int i;

	for (i = 0; i < w->nrefs; i++) {
		const struct mvm_ref *r = &w->refs[i];
		unsigned shift = r->col ? 12 + 9 * (unsigned)(r->col - 1)
					: 12 + 9 * (unsigned)(r->row - 1);
		unsigned idx =
			(unsigned)((r->col ? r->gpa : w->gva) >> shift) & 511;

		if (r->col)
			snprintf(what, sizeof(what), "EPT L%d[%u]", r->col,
				 idx);
		else
			snprintf(what, sizeof(what), "guest %s[%u]",
				 row_name[r->row], idx);
		put(o, "  %2d %-14s GPA 0x%-9llx at %-17s = ", i + 1, what,
		    (unsigned long long)r->gpa,
		    host(mem, e, r->addr, flags, at, sizeof(at)));
		if (r->col && (flags & MVM_WALK2D_STABLE)) /* a host address */
			put(o, "%s | 0x%llx\n",
			    host(mem, e, r->value & MVM_EPT_ADDR, flags, at,
				 sizeof(at)),
			    (unsigned long long)(r->value & ~MVM_EPT_ADDR));
		else
			put(o, "0x%llx\n", (unsigned long long)r->value);
	}
}

int mvm_walk2d_format(const struct mvm_memmap *mem, const struct mvm_ept *e,
		      const struct mvm_walk2d *w, int rc, unsigned flags,
		      char *buf, size_t len)
{
	static const char *const ept_fault[] = {"ok", "EPT violation",
						"EPT misconfiguration",
						"not a table of the model"};
	struct out o = {buf, len, 0};
	int g = mvm_page_levels(w->guest_page),
	    x = mvm_page_levels(w->ept_page);
	char at[48];

	if (!mem || !e || !w || (!buf && len))
		return -EINVAL;
	if (len)
		buf[0] = '\0';
	put(&o, "2D walk of GVA 0x%llx, CR3 0x%llx\n",
	    (unsigned long long)w->gva, (unsigned long long)w->guest.cr3);
	if (rc == 0)
		put(&o,
		    "  guest %s page (%d levels), EPT %s page (%d levels): %d "
		    "references = (%d + 1) x (%d + 1) - 1\n",
		    size_name(w->guest_page), g, size_name(w->ept_page), x,
		    w->nrefs, g, x);
	else
		put(&o, "  %d references before the walk stopped\n", w->nrefs);
	if (rc == 0 && w->ept_page < e->max_leaf)
		put(&o,
		    "  (EPT leaves up to %s were allowed: this slot's GPA and "
		    "host address are not both aligned to one)\n",
		    size_name(e->max_leaf));
	if (w->nrefs) {
		grid(&o, w);
		refs(&o, mem, e, w, flags);
	}
	if (rc == 0) {
		put(&o, "GVA 0x%llx -> GPA 0x%llx -> host %s",
		    (unsigned long long)w->gva, (unsigned long long)w->gpa,
		    host(mem, e, w->hpa, flags, at, sizeof(at)));
		if (!(flags & MVM_WALK2D_STABLE))
			put(&o, " (%s)",
			    host(mem, e, w->hpa, MVM_WALK2D_STABLE, at,
				 sizeof(at)));
		put(&o, "\n");
	} else if (w->ept_failed)
		put(&o, "stopped: %s for GPA 0x%llx\n",
		    ept_fault[w->ept.fault & 3],
		    (unsigned long long)w->ept.gpa);
	else if (rc == -ENOTSUP)
		put(&o, "stopped: only 4-level paging is walked in 2D\n");
	else
		put(&o, "stopped: guest %s%s%s\n",
		    mvm_pt_fault_name(w->guest.fault),
		    w->guest.why[0] ? ": " : "", w->guest.why);
	return (int)o.off;
}
