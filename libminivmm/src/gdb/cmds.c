/*
 * cmds.c - what the stub does with each packet (gdb manual, "Packets",
 * "General Query Packets", "Host I/O" aside).
 *
 * Every packet gets exactly one reply; an unknown packet gets the empty
 * reply, which tells gdb "not supported" (it then uses a fallback or
 * says so). Errors are `Exx`, xx an errno value in hex.
 *
 * Memory: gdb's addresses are guest-virtual. Each page is translated by
 * the page walker (pagetable.h, with the vCPU's CR0/CR3/CR4/EFER; with
 * paging off an address is its own physical address) and then copied
 * through the memory map, which refuses anything that is not guest
 * memory: no host pointer is ever formed from a guest address unchecked.
 * `monitor phys on` makes addresses guest-physical instead.
 *
 * Breakpoints: only hardware execute breakpoints (DR0-DR3) work on every
 * backend (quirks.h: int3 is not emulated at ring 0 on some). So Z1 sets
 * one, and Z0 (a "software" breakpoint) is served the same way while one
 * of the four slots is free; a fifth is refused with an error, so gdb
 * never falls back to writing 0xCC into the guest.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gdb_internal.h"

/* Bytes of memory one m packet returns: its hex fits our PacketSize. */
#define MEM_CHUNK (MVM_GDB_PACKET_MAX / 2 - 16)

static int reply_err(struct mvm_gdb *g, int err)
{
	return mvm_gdb_sendf(g, "E%02x",
			     (unsigned)(err < 0 ? -err : err) & 0xff);
}

static int reply_rc(struct mvm_gdb *g, int rc)
{
	return rc < 0 ? reply_err(g, rc) : mvm_gdb_send(g, "OK");
}

/* --- memory -------------------------------------------------------------- */

/* Guest-physical address of addr and the bytes left in its page. */
static int translate(struct mvm_gdb *g, const struct kvm_sregs *s,
		     uint64_t addr, uint64_t *gpa, uint64_t *room)
{
	struct mvm_pt_walk w;

	if (g->phys) {
		*gpa = addr;
		*room = 4096 - (addr & 4095);
		return 0;
	}
	if (mvm_pt_walk(g->mem, s->cr0, s->cr3, s->cr4, s->efer, addr, &w) < 0)
		return -EFAULT;
	*gpa = w.gpa;
	*room = w.fault == MVM_PT_NO_PAGING
			? 4096 - (addr & 4095)
			: w.page_size - (addr & (w.page_size - 1));
	return 0;
}

int mvm_gdb_mem_access(struct mvm_gdb *g, uint64_t addr, void *buf, size_t len,
		       int write)
{
	struct kvm_sregs s;
	size_t done = 0;
	int rc = mvm_vcpu_get_sregs(g->vcpu, &s);

	if (rc < 0)
		return rc;
	while (done < len) {
		uint64_t gpa, room, n;
		if (translate(g, &s, addr + done, &gpa, &room) < 0)
			break;
		n = len - done < room ? len - done : room;
		rc = write ? mvm_memmap_write(g->mem, gpa, (char *)buf + done,
					      n, 0)
			   : mvm_memmap_read(g->mem, gpa, (char *)buf + done,
					     n);
		if (rc < 0)
			break;
		done += n;
	}
	return done ? (int)done : -EFAULT;
}

/* "addr,len" then *rest at what follows. */
static int addr_len(const char *p, uint64_t *addr, uint64_t *len,
		    const char **rest)
{
	if (mvm_gdb_parse_hex(p, &p, addr) < 0 || *p++ != ',' ||
	    mvm_gdb_parse_hex(p, &p, len) < 0)
		return -EINVAL;
	*rest = p;
	return 0;
}

static int cmd_read_mem(struct mvm_gdb *g, const char *p)
{
	uint8_t buf[MEM_CHUNK];
	uint64_t addr, len;
	const char *rest;
	int n;

	if (addr_len(p, &addr, &len, &rest) < 0 || *rest)
		return reply_err(g, EINVAL);
	if (len > MEM_CHUNK) /* a shorter answer is allowed */
		len = MEM_CHUNK;
	n = mvm_gdb_mem_access(g, addr, buf, len, 0);
	if (n < 0)
		return reply_err(g, n);
	mvm_gdb_hex_encode(g->reply, buf, (size_t)n);
	return mvm_gdb_send(g, g->reply);
}

/* M addr,len:hex and X addr,len:binary (binary already unescaped). */
static int cmd_write_mem(struct mvm_gdb *g, const char *p, int binary)
{
	uint8_t buf[MVM_GDB_PACKET_MAX];
	uint64_t addr, len, have;
	const char *rest;
	int n;

	if (addr_len(p, &addr, &len, &rest) < 0 || *rest != ':' ||
	    len > sizeof(buf))
		return reply_err(g, EINVAL);
	rest++;
	have = g->rx.len - (uint64_t)(rest - g->rx.buf);
	if (binary ? have != len
		   : (strlen(rest) != 2 * len ||
		      mvm_gdb_hex_decode(buf, rest, len) < 0))
		return reply_err(g, EINVAL);
	if (binary)
		memcpy(buf, rest, len);
	if (len == 0) /* gdb probes X support this way */
		return mvm_gdb_send(g, "OK");
	n = mvm_gdb_mem_access(g, addr, buf, len, 1);
	return reply_rc(g, n < 0 ? n : (uint64_t)n == len ? 0 : -EFAULT);
}

/* --- breakpoints --------------------------------------------------------- */

static int cmd_breakpoint(struct mvm_gdb *g, const char *p, int insert)
{
	uint64_t addr, kind;
	const char *rest;
	int type = p[0] - '0', i;

	if (type > 1 || type < 0 || p[1] != ',')
		return mvm_gdb_send(g, ""); /* watchpoints: not supported */
	if (addr_len(p + 2, &addr, &kind, &rest) < 0)
		return reply_err(g, EINVAL);
	for (i = 0; i < g->nbp && g->bp[i] != addr; i++)
		;
	if (!insert) {
		if (i < g->nbp)
			g->bp[i] = g->bp[--g->nbp];
		return mvm_gdb_send(g, "OK");
	}
	if (i < g->nbp)
		return mvm_gdb_send(g, "OK");
	if (g->nbp == MVM_HW_BREAKPOINTS) {
		mvm_logf(g->log, MVM_LOG_WARN,
			 "gdb: breakpoint at %#llx refused: all %d hardware "
			 "breakpoints (DR0-DR3) are in use",
			 (unsigned long long)addr, MVM_HW_BREAKPOINTS);
		return reply_err(g, ENOSPC);
	}
	g->bp[g->nbp++] = addr;
	return mvm_gdb_send(g, "OK");
}

/* --- queries ------------------------------------------------------------- */

/* qXfer:features:read:target.xml:off,len -> m/l + a slice. */
static int cmd_xfer(struct mvm_gdb *g, const char *p)
{
	static const char pre[] = "features:read:target.xml:";
	uint64_t off, len;
	const char *rest;
	size_t xlen = g->xml_len;
	const char *xml = g->xml;

	if (strncmp(p, pre, sizeof(pre) - 1) != 0)
		return mvm_gdb_send(g, "");
	if (addr_len(p + sizeof(pre) - 1, &off, &len, &rest) < 0 || *rest)
		return reply_err(g, EINVAL);
	if (off >= xlen)
		return mvm_gdb_send(g, "l");
	if (len > MVM_GDB_PACKET_MAX - 8)
		len = MVM_GDB_PACKET_MAX - 8;
	if (len > xlen - off)
		len = xlen - off;
	g->reply[0] = off + len < xlen ? 'm' : 'l';
	memcpy(g->reply + 1, xml + off, len);
	g->reply[len + 1] = '\0';
	return mvm_gdb_send(g, g->reply);
}

static int cmd_query(struct mvm_gdb *g, const char *p)
{
	if (strncmp(p, "qSupported", 10) == 0)
		return mvm_gdb_sendf(
			g,
			"PacketSize=%x;qXfer:features:read+;"
			"QStartNoAckMode+;hwbreak+;vContSupported+",
			MVM_GDB_PACKET_MAX);
	if (strcmp(p, "QStartNoAckMode") == 0) {
		int rc = mvm_gdb_send(g, "OK");
		g->noack = 1;
		return rc;
	}
	if (strncmp(p, "qXfer:", 6) == 0)
		return cmd_xfer(g, p + 6);
	if (strncmp(p, "qRcmd,", 6) == 0)
		return mvm_gdb_monitor(g, p + 6);
	if (strcmp(p, "qAttached") == 0)
		return mvm_gdb_send(g, "1");
	if (strcmp(p, "qC") == 0)
		return mvm_gdb_send(g, "QC1");
	if (strcmp(p, "qfThreadInfo") == 0)
		return mvm_gdb_send(g, "m1");
	if (strcmp(p, "qsThreadInfo") == 0)
		return mvm_gdb_send(g, "l");
	if (strncmp(p, "qSymbol", 7) == 0)
		return mvm_gdb_send(g, "OK");
	return mvm_gdb_send(g, "");
}

/* vCont? / vCont;ACTION[:thread][;...]: one thread, so the first action
 * is the one for it. */
static int cmd_vcont(struct mvm_gdb *g, const char *p)
{
	if (strcmp(p, "?") == 0)
		return mvm_gdb_send(g, "vCont;c;C;s;S");
	if (p[0] != ';')
		return reply_err(g, EINVAL);
	if (p[1] == 'c' || p[1] == 'C')
		return mvm_gdb_resume(g, 0);
	if (p[1] == 's' || p[1] == 'S')
		return mvm_gdb_resume(g, 1);
	return reply_err(g, EINVAL);
}

/* c [addr] / s [addr] (and C/S sig[;addr]): resume where gdb says. */
static int cmd_resume(struct mvm_gdb *g, const char *p, int step, int sig)
{
	uint64_t addr, ignored;
	struct kvm_regs r;
	int rc;

	if (sig &&
	    (mvm_gdb_parse_hex(p, &p, &ignored) < 0 || (*p && *p++ != ';')))
		return reply_err(g, EINVAL);
	if (*p) {
		if (mvm_gdb_parse_hex(p, NULL, &addr) < 0)
			return reply_err(g, EINVAL);
		rc = mvm_vcpu_get_regs(g->vcpu, &r);
		if (rc == 0) {
			r.rip = addr;
			rc = mvm_vcpu_set_regs(g->vcpu, &r);
		}
		if (rc < 0)
			return reply_err(g, rc);
	}
	return mvm_gdb_resume(g, step);
}

static int cmd_regs(struct mvm_gdb *g, char c, const char *p)
{
	uint64_t n;
	const char *rest;
	int rc;

	if (c == 'g') {
		rc = mvm_gdb_read_regs(g, g->reply);
		return rc < 0 ? reply_err(g, rc) : mvm_gdb_send(g, g->reply);
	}
	if (c == 'G')
		return reply_rc(g, mvm_gdb_write_regs(g, p));
	if (mvm_gdb_parse_hex(p, &rest, &n) < 0 || n > 1000)
		return reply_err(g, EINVAL);
	if (c == 'p') {
		rc = *rest ? -EINVAL
			   : mvm_gdb_read_reg(g, (unsigned)n, g->reply);
		return rc < 0 ? reply_err(g, rc) : mvm_gdb_send(g, g->reply);
	}
	if (*rest != '=')
		return reply_err(g, EINVAL);
	return reply_rc(g, mvm_gdb_write_reg(g, (unsigned)n, rest + 1));
}

int mvm_gdb_handle(struct mvm_gdb *g, char *pkt)
{
	char c = pkt[0];

	switch (c) {
	case '?':
		return mvm_gdb_stop_reply(g, 5);
	case 'g':
	case 'G':
	case 'p':
	case 'P':
		return cmd_regs(g, c, pkt + 1);
	case 'm':
		return cmd_read_mem(g, pkt + 1);
	case 'M':
	case 'X':
		return cmd_write_mem(g, pkt + 1, c == 'X');
	case 'c':
	case 's':
		return cmd_resume(g, pkt + 1, c == 's', 0);
	case 'C':
	case 'S':
		return cmd_resume(g, pkt + 1, c == 'S', 1);
	case 'Z':
	case 'z':
		return cmd_breakpoint(g, pkt + 1, c == 'Z');
	case 'H':
	case 'T':
		return mvm_gdb_send(g, "OK");
	case 'D':
		g->end = MVM_GDB_DETACHED + 1;
		return mvm_gdb_send(g, "OK");
	case 'k':
		g->end = MVM_GDB_KILLED + 1; /* no reply (manual, "k") */
		return 0;
	case 'q':
	case 'Q':
		return cmd_query(g, pkt);
	case 'v':
		if (strncmp(pkt, "vCont", 5) == 0)
			return cmd_vcont(g, pkt + 5);
		if (strncmp(pkt, "vKill", 5) == 0) {
			g->end = MVM_GDB_KILLED + 1;
			return mvm_gdb_send(g, "OK");
		}
		return mvm_gdb_send(g, "");
	default:
		return mvm_gdb_send(g, "");
	}
}
