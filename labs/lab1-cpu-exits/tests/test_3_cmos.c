/*
 * test_cmos.c - Lab 1, task 3: the CMOS RTC and NVRAM device (cmos.c).
 *
 * The device runs on a fixed clock, 2026-11-26 05:59:30 UTC (a
 * Thursday), so every register has one right value, and then on a
 * clock picked at random per run, so a hard-coded answer fails. The unit tests
 * drive the two ports through mvm_cmos_ops exactly as the bus would; the
 * last test runs the lab's guest, which reads the date like a PC BIOS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lab1.h"

#define T0 1795672770LL /* 2026-11-26 05:59:30 UTC */

static int64_t now = T0;

static int64_t fixed_clock(void *ctx)
{
	(void)ctx;
	return now;
}

static struct mvm_cmos *dev(void)
{
	struct mvm_cmos *c = NULL;

	now = T0;
	assert_int_equal(mvm_cmos_create(fixed_clock, NULL, NULL, &c), 0);
	return c;
}

/* What a guest does: OUT the index to 0x70, then IN/OUT 0x71. */
static uint8_t rd(struct mvm_cmos *c, uint8_t reg)
{
	uint8_t v = 0xee;

	mvm_cmos_ops.write(c, NULL, MVM_CMOS_PORT_INDEX, &reg, 1);
	mvm_cmos_ops.read(c, NULL, MVM_CMOS_PORT_DATA, &v, 1);
	return v;
}

static void wr(struct mvm_cmos *c, uint8_t reg, uint8_t v)
{
	mvm_cmos_ops.write(c, NULL, MVM_CMOS_PORT_INDEX, &reg, 1);
	mvm_cmos_ops.write(c, NULL, MVM_CMOS_PORT_DATA, &v, 1);
}

static uint8_t bcd(int v)
{
	return (uint8_t)((v / 10) << 4 | v % 10);
}

/* A clock picked at random in this century, different on every run: a
 * device that hard-codes the fixed date above gets it wrong. */
static void check_random_time(struct mvm_cmos *c)
{
	struct timespec ts;
	struct tm tm;
	time_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	srand((unsigned)(ts.tv_nsec ^ ts.tv_sec ^ getpid()));
	now = 946684800LL + (int64_t)(rand() % 3155760000LL);
	t = (time_t)now;
	gmtime_r(&t, &tm);
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_SECONDS), bcd(tm.tm_sec),
			"seconds of a random date");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_MINUTES), bcd(tm.tm_min),
			"minutes of a random date");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_HOURS), bcd(tm.tm_hour),
			"hours of a random date");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_WEEKDAY), tm.tm_wday + 1,
			"day of week of a random date");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_DAY), bcd(tm.tm_mday),
			"day of month of a random date");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_MONTH), bcd(tm.tm_mon + 1),
			"month of a random date");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_YEAR), bcd(tm.tm_year % 100),
			"year of a random date");
}

static void cmos_time_registers_read_in_bcd_at_power_on(void **state)
{
	struct mvm_cmos *c = dev();

	(void)state;
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_SECONDS), 0x30, "seconds (BCD 30)");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_MINUTES), 0x59, "minutes (BCD 59)");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_HOURS), 0x05, "hours (BCD 05, 24h)");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_WEEKDAY), 0x05,
			"day of week (Thursday = 5, Sunday = 1)");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_DAY), 0x26, "day of month (BCD 26)");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_MONTH), 0x11, "month (BCD 11)");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_YEAR), 0x26, "year (BCD 26)");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_CENTURY), 0x20, "century (BCD 20)");
	now += 61;
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_SECONDS), 0x31,
			"seconds 61 s later (the clock must tick)");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_HOURS), 0x06, "hours 61 s later");
	check_random_time(c);
	mvm_cmos_destroy(c);
}

static void cmos_binary_and_12_hour_modes_follow_status_b(void **state)
{
	struct mvm_cmos *c = dev();

	(void)state;
	wr(c, MVM_CMOS_STATUS_B, MVM_CMOS_B_BINARY | MVM_CMOS_B_24H);
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_MINUTES), 59,
			"minutes in binary mode (status B DM = 1)");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_DAY), 26, "day in binary mode");
	now = T0 + 11 * 3600; /* 16:59:30 */
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_HOURS), 16, "hours, binary, 24h");
	wr(c, MVM_CMOS_STATUS_B, MVM_CMOS_B_BINARY);
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_HOURS), 0x80 | 4,
			"16h in 12-hour binary mode (4 with the PM bit 7)");
	wr(c, MVM_CMOS_STATUS_B, 0);
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_HOURS), 0x84,
			"16h in 12-hour BCD mode (0x04 | PM)");
	now = T0 - 5 * 3600 - 59 * 60; /* 00:00:30 */
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_HOURS), 0x12,
			"midnight in 12-hour BCD mode (12 AM = 0x12)");
	wr(c, MVM_CMOS_HOURS, 0x80 | 0x01); /* 1 PM, 12-hour BCD */
	wr(c, MVM_CMOS_STATUS_B, MVM_CMOS_B_24H);
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_HOURS), 0x13,
			"hours in 24-hour BCD after writing 0x81 (1 PM) in "
			"12-hour mode (writes are decoded as status B says)");
	wr(c, MVM_CMOS_STATUS_B, MVM_CMOS_B_BINARY | MVM_CMOS_B_24H);
	wr(c, MVM_CMOS_MINUTES, 45);
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_MINUTES), 45,
			"minutes after writing 45 (0x2d) in binary mode");
	mvm_cmos_destroy(c);
}

static void cmos_nvram_and_status_registers_behave(void **state)
{
	struct mvm_cmos *c = dev();
	uint8_t v = 0, idx = 0x80 | MVM_CMOS_STATUS_D;

	(void)state;
	for (unsigned r = 0x40; r < 0x80; r++)
		wr(c, (uint8_t)r, (uint8_t)(r ^ 0x5a));
	for (unsigned r = 0x40; r < 0x80; r++)
		GRADE_EXPECT(rd(c, (uint8_t)r) == (uint8_t)(r ^ 0x5a),
			     "NVRAM byte 0x%02x: wrote 0x%02x, read 0x%02x", r,
			     r ^ 0x5a, rd(c, (uint8_t)r));
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_STATUS_D), MVM_CMOS_D_VRT,
			"status D (battery good)");
	wr(c, MVM_CMOS_STATUS_D, 0);
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_STATUS_D), MVM_CMOS_D_VRT,
			"status D after a write (read-only)");
	wr(c, MVM_CMOS_STATUS_A, 0xff);
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_STATUS_A), 0x7f,
			"status A after writing 0xff (UIP is read-only, 0)");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_STATUS_C), 0, "status C (no IRQs)");
	mvm_cmos_ops.write(c, NULL, MVM_CMOS_PORT_INDEX, &idx, 1);
	mvm_cmos_ops.read(c, NULL, MVM_CMOS_PORT_DATA, &v, 1);
	GRADE_EXPECT_EQ(
		v, MVM_CMOS_D_VRT,
		"index 0x8d (NMI mask bit 7 set) selects register 0x0d");
	mvm_cmos_ops.read(c, NULL, MVM_CMOS_PORT_INDEX, &v, 1);
	GRADE_EXPECT_EQ(v, 0xff, "a read of the write-only index port");
	mvm_cmos_destroy(c);
}

static void cmos_time_write_moves_only_the_guest_clock(void **state)
{
	struct mvm_cmos *c = dev();

	(void)state;
	wr(c, MVM_CMOS_MINUTES, 0x15);
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_MINUTES), 0x15,
			"minutes after the guest set them to 15");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_HOURS), 0x05, "hours unchanged");
	now += 60;
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_MINUTES), 0x16,
			"minutes a minute later: the guest's clock still runs");
	wr(c, MVM_CMOS_SECONDS, 0x5a); /* not BCD: must be ignored */
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_SECONDS), 0x30,
			"seconds after an invalid BCD write (ignored)");
	wr(c, MVM_CMOS_MINUTES, 0x75); /* BCD, but no minute 75 exists */
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_MINUTES), 0x16,
			"minutes after writing 0x75 (valid BCD, but minute 75 "
			"does not exist: ignored)");
	wr(c, MVM_CMOS_WEEKDAY, 0x02);
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_WEEKDAY), 0x05,
			"day of week after a write (read-only: the date "
			"decides it)");
	wr(c, MVM_CMOS_YEAR, 0x27);
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_YEAR), 0x27, "year after setting 27");
	GRADE_EXPECT_EQ(rd(c, MVM_CMOS_CENTURY), 0x20, "century after that");
	mvm_cmos_destroy(c);
}

static void cmos_guest_reads_the_date(void **state)
{
	struct fixture *f = *state;
	struct mvm_cmos *c = dev();

	assert_int_equal(mvm_bus_register(mvm_vm_pio_bus(f->vm), MVM_PORT_CMOS,
					  MVM_PORT_CMOS_LEN, &mvm_cmos_ops, c),
			 0);
	lab1_load_guest(f, "lab1-cmos.elf");
	lab1_expect_ucall(f, 30000, MVM_UCALL_DONE, 0);
	GRADE_EXPECT(strstr(f->out, "rtc: 2026-11-26 05:59:30") != NULL,
		     "guest printed \"%s\", expected \"rtc: 2026-11-26 "
		     "05:59:30\"",
		     f->out);
	mvm_bus_unregister(mvm_vm_pio_bus(f->vm), MVM_PORT_CMOS);
	mvm_cmos_destroy(c);
}

#define T(fn, pts) GRADE_TEST(fn, pts, "task 3: the CMOS device in cmos.c")
static const struct grade_test tests[] = {
	T(cmos_time_registers_read_in_bcd_at_power_on, 4),
	T(cmos_binary_and_12_hour_modes_follow_status_b, 4),
	T(cmos_nvram_and_status_registers_behave, 4),
	T(cmos_time_write_moves_only_the_guest_clock, 3),
	GRADE_TEST_SETUP(cmos_guest_reads_the_date, 5,
			 "task 3 (and tasks 1-2): the lab1-cmos guest",
			 fixture_setup, fixture_teardown),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
