/*
 * lab1-hcall.c - the Lab 1 guest that makes hypercalls (task 4), good
 * ones and hostile ones.
 *
 * A hypercall is a request in guest memory whose address goes to the
 * hypercall port (hypercall.h). The second half of main() behaves like a
 * malicious guest: it names buffers in the MMIO hole, past the end of
 * RAM, wrapping around 2^64, and a request that is itself outside RAM.
 * The VMM must answer each with an error, and keep running.
 */
#include "guest.h"
#include "minivmm/hypercall.h"

static struct mvm_hcall req;

static int64_t hcall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t buf,
		     uint64_t len)
{
	req.nr = nr;
	req.args[0] = a0;
	req.args[1] = a1;
	req.args[2] = 0;
	req.args[3] = 0;
	req.buf = buf;
	req.len = len;
	req.ret = 1; /* the host must overwrite it */
	outl(MVM_PORT_HCALL, (uint32_t)(uintptr_t)&req);
	return req.ret;
}

static const char hello[] = "hello from the guest, by hypercall\n";

int main(void)
{
	static struct mvm_hcall_info info;
	uint64_t ram;

	GUEST_ASSERT_EQ(hcall(MVM_HCALL_NOP, 0, 0, 0, 0), 0);
	GUEST_ASSERT_EQ(hcall(MVM_HCALL_ADD, 40, 2, 0, 0), 42);
	GUEST_ASSERT_EQ(hcall(MVM_HCALL_PUTS, 0, 0, (uintptr_t)hello,
			      sizeof(hello) - 1),
			sizeof(hello) - 1);
	GUEST_ASSERT_EQ(
		hcall(MVM_HCALL_INFO, 0, 0, (uintptr_t)&info, sizeof(info)),
		sizeof(info));
	GUEST_ASSERT(memcmp(info.name, "minivmm", 8) == 0);
	ram = info.ram_bytes;
	GUEST_ASSERT(ram >= MVM_RAM_MIN);
	GUEST_SYNC(1);

	/* The hostile half: every one of these must fail cleanly. */
	GUEST_ASSERT_EQ(hcall(MVM_HCALL_PUTS, 0, 0, MVM_MMIO_DEMO_ADDR, 16),
			-MVM_HCALL_EFAULT);
	GUEST_ASSERT_EQ(hcall(MVM_HCALL_PUTS, 0, 0, ram - 8, 16),
			-MVM_HCALL_EFAULT);
	GUEST_ASSERT_EQ(hcall(MVM_HCALL_PUTS, 0, 0, ~0ULL - 0x7ff, 0x1000),
			-MVM_HCALL_EFAULT);
	GUEST_ASSERT_EQ(hcall(MVM_HCALL_INFO, 0, 0, ram, sizeof(info)),
			-MVM_HCALL_EFAULT);
	GUEST_ASSERT_EQ(
		hcall(MVM_HCALL_PUTS, 0, 0, (uintptr_t)hello, 1ULL << 40),
		-MVM_HCALL_E2BIG);
	GUEST_ASSERT_EQ(hcall(MVM_HCALL_INFO, 0, 0, (uintptr_t)&info, 8),
			-MVM_HCALL_EINVAL);
	GUEST_ASSERT_EQ(hcall(99, 0, 0, 0, 0), -MVM_HCALL_ENOSYS);
	/* A request that is not in RAM at all: only the port can tell. */
	outl(MVM_PORT_HCALL, (uint32_t)(ram + 0x1000));
	GUEST_ASSERT_EQ((int32_t)inl(MVM_PORT_HCALL), -MVM_HCALL_EFAULT);
	GUEST_SYNC(2);
	return 0;
}
