/*
 * dbgtrace.c - traces in memory for the debugger's harnesses
 * (dbgtrace.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dbgtrace.h"

static int fd = -1;
static char path[64];

const char *dbgtrace_set(const void *buf, size_t len)
{
	if (fd < 0) {
		fd = memfd_create("fuzz-trace", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, len, 0) != (ssize_t)len)
		abort();
	return path;
}

const char *dbgtrace_sample(void)
{
	static struct dbg_session s;
	static const uint8_t code[] = {0xb0, 0x48, 0xe6, 0xe9, 0xf4};
	char *buf = NULL;
	size_t len = 0;
	const char *p;

	dbg_session_init(&s);
	s.rec = open_memstream(&buf, &len);
	if (!s.rec)
		abort();
	s.cur.regs.rip = 0x100000;
	s.cur.regs.rflags = 2;
	s.cur.sregs.cr0 = MVM_CR0_PG | MVM_CR0_ET | MVM_CR0_PE;
	s.cur.sregs.efer = MVM_EFER_LMA | MVM_EFER_LME;
	s.cur.sregs.cs = (struct kvm_segment){
		.selector = 0x10, .l = 1, .s = 1, .type = 0xb, .present = 1};
	memcpy(s.code.bytes, code, sizeof(code));
	s.code.addr = 0x100000;
	s.code.len = sizeof(code);
	if (dbg_record(&s, "start") < 0)
		abort();
	s.cur.regs.rip = 0x100004;
	s.cur.regs.rax = 0x48;
	s.last = (struct mvm_exit){
		.seq = 1, .reason = KVM_EXIT_IO, .rip = 0x100004};
	s.last.u.io = (struct mvm_exit_io){
		.port = 0xe9, .size = 1, .is_write = 1, .count = 1};
	s.last.u.io.data[0] = 'H';
	dbg_session_output(&s, "H", 1);
	if (dbg_record(&s, "exit") < 0)
		abort();
	dbg_session_close(&s); /* closes s.rec: buf is final */
	p = dbgtrace_set(buf, len);
	free(buf);
	return p;
}
