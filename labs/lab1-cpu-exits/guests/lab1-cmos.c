/*
 * lab1-cmos.c - the Lab 1 guest that drives the CMOS RTC (task 3).
 *
 * It does what a PC operating system does at boot to learn the date:
 * select a register through the index port 0x70, read it from the data
 * port 0x71, and decode BCD. Each register read is therefore two VM
 * exits (an OUT and an IN); run it with `mvm run --trace` to see them.
 * The grader gives the device a fixed clock and checks the line printed.
 */
#include "guest.h"
#include "minivmm/cmos.h"

static uint8_t cmos_read(uint8_t reg)
{
	outb(MVM_PORT_CMOS + MVM_CMOS_PORT_INDEX, reg);
	return inb(MVM_PORT_CMOS + MVM_CMOS_PORT_DATA);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(MVM_PORT_CMOS + MVM_CMOS_PORT_INDEX, reg);
	outb(MVM_PORT_CMOS + MVM_CMOS_PORT_DATA, v);
}

static unsigned bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0x0f);
}

/* Two digits, with a leading zero. */
static void put2(struct guest_buf *b, unsigned v)
{
	char s[3] = {(char)('0' + v / 10 % 10), (char)('0' + v % 10), 0};

	gbuf_str(b, s);
}

int main(void)
{
	struct guest_buf b = GUEST_BUF_INIT;
	uint8_t status_b = cmos_read(MVM_CMOS_STATUS_B);
	unsigned century, year, month, day, h, m, s;

	GUEST_ASSERT(cmos_read(MVM_CMOS_STATUS_D) & MVM_CMOS_D_VRT);
	GUEST_ASSERT_EQ(status_b & MVM_CMOS_B_BINARY, 0); /* BCD at reset */
	century = bcd(cmos_read(MVM_CMOS_CENTURY));
	year = bcd(cmos_read(MVM_CMOS_YEAR));
	month = bcd(cmos_read(MVM_CMOS_MONTH));
	day = bcd(cmos_read(MVM_CMOS_DAY));
	h = bcd(cmos_read(MVM_CMOS_HOURS));
	m = bcd(cmos_read(MVM_CMOS_MINUTES));
	s = bcd(cmos_read(MVM_CMOS_SECONDS));
	gbuf_str(&b, "rtc: ");
	put2(&b, century);
	put2(&b, year);
	gbuf_str(&b, "-");
	put2(&b, month);
	gbuf_str(&b, "-");
	put2(&b, day);
	gbuf_str(&b, " ");
	put2(&b, h);
	gbuf_str(&b, ":");
	put2(&b, m);
	gbuf_str(&b, ":");
	put2(&b, s);
	gbuf_str(&b, "\n");
	GUEST_PRINT(b.s);

	/* NVRAM keeps what we store: the BIOS settings of a real PC. */
	for (uint8_t i = 0; i < 16; i++)
		cmos_write((uint8_t)(0x40 + i), (uint8_t)(0xa0 + i));
	for (uint8_t i = 0; i < 16; i++)
		GUEST_ASSERT_EQ(cmos_read((uint8_t)(0x40 + i)), 0xa0 + i);

	/* Binary mode: the same minute, no BCD. */
	cmos_write(MVM_CMOS_STATUS_B, MVM_CMOS_B_24H | MVM_CMOS_B_BINARY);
	GUEST_ASSERT_EQ(cmos_read(MVM_CMOS_MONTH), month);
	return 0; /* crt0 reports DONE */
}
