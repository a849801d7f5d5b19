/*
 * cmos.c - the CMOS real-time clock and NVRAM (see cmos.h for the
 * register map).
 *
 * Lab 1, task 3 edits this file: the two LAB(1) regions below are what
 * the student writes. Do not change the ops table, _create/_destroy or
 * the struct: the grader drives the device through mvm_cmos_ops.
 *
 * A device model is trap-and-emulate in its purest form: the guest's IN
 * or OUT leaves the guest (a VM exit), the VMM works out what the real
 * chip would have done, and the guest continues as if it had talked to
 * hardware. Everything the guest writes is untrusted: an index can be
 * any byte, a time field any value, so each is checked before use.
 *
 * Reference: Motorola MC146818A data sheet (register map, BCD/binary and
 * 12/24-hour formats); the PC's use of ports 70h/71h and of register 32h
 * for the century is described on the OSDev wiki "CMOS" page.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "minivmm/cmos.h"
#include "minivmm/state.h"

struct mvm_cmos {
	uint8_t index;	  /* register selected by the last index write */
	uint8_t nmi_mask; /* bit 7 of the last index write */
	uint8_t reg[MVM_CMOS_NREGS]; /* status, alarm and NVRAM bytes */
	int64_t offset;		     /* guest time minus host time, seconds */
	mvm_clock_fn *clock;	     /* host time source */
	void *clock_ctx;
	const struct mvm_log *log;
};

static int64_t host_clock(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

/* The guest's current time, broken down (UTC). (Marked unused only
 * because a handout's stubs do not call it yet.) */
__attribute__((unused)) static void guest_time(const struct mvm_cmos *c,
					       struct tm *tm)
{
	time_t t = (time_t)(c->clock(c->clock_ctx) + c->offset);

	gmtime_r(&t, tm);
}

static void power_on(struct mvm_cmos *c)
{
	memset(c->reg, 0, sizeof(c->reg));
	c->index = 0;
	c->nmi_mask = 0;
	c->offset = 0;
	/* Divider on (32.768 kHz) and 1024 Hz rate: what a PC BIOS sets. */
	c->reg[MVM_CMOS_STATUS_A] = 0x26;
	c->reg[MVM_CMOS_STATUS_B] = MVM_CMOS_B_24H;
	c->reg[MVM_CMOS_STATUS_D] = MVM_CMOS_D_VRT;
}

/* LAB(1, cmos-registers) BEGIN */
/* BCD: one decimal digit per nibble, 59 -> 0x59 (MC146818A "Data Mode"). */
static uint8_t to_bcd(unsigned v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

/* A value in the guest's format (BCD or binary, per status B DM). */
static uint8_t encode(const struct mvm_cmos *c, unsigned v)
{
	return (c->reg[MVM_CMOS_STATUS_B] & MVM_CMOS_B_BINARY) ? (uint8_t)v
							       : to_bcd(v);
}

/* Hours: 0-23 in 24-hour mode; 1-12 with bit 7 = PM in 12-hour mode. */
static uint8_t encode_hours(const struct mvm_cmos *c, unsigned h)
{
	unsigned h12 = h % 12 ? h % 12 : 12;

	if (c->reg[MVM_CMOS_STATUS_B] & MVM_CMOS_B_24H)
		return encode(c, h);
	return (uint8_t)(encode(c, h12) | (h >= 12 ? MVM_CMOS_HOUR_PM : 0));
}

/* The value register `r` reads as. The time registers are computed from
 * the clock at each read; status C clears when read (its flags report
 * interrupts, and reading acknowledges them). */
static uint8_t reg_read(struct mvm_cmos *c, unsigned r)
{
	struct tm tm;
	uint8_t v;

	guest_time(c, &tm);
	switch (r) {
	case MVM_CMOS_SECONDS:
		return encode(c, (unsigned)tm.tm_sec % 60);
	case MVM_CMOS_MINUTES:
		return encode(c, (unsigned)tm.tm_min);
	case MVM_CMOS_HOURS:
		return encode_hours(c, (unsigned)tm.tm_hour);
	case MVM_CMOS_WEEKDAY:
		return encode(c, (unsigned)tm.tm_wday + 1);
	case MVM_CMOS_DAY:
		return encode(c, (unsigned)tm.tm_mday);
	case MVM_CMOS_MONTH:
		return encode(c, (unsigned)tm.tm_mon + 1);
	case MVM_CMOS_YEAR:
		return encode(c, (unsigned)(tm.tm_year + 1900) % 100);
	case MVM_CMOS_CENTURY:
		return encode(c, (unsigned)(tm.tm_year + 1900) / 100);
	case MVM_CMOS_STATUS_A:
		/* UIP is never set: our time registers never change under
		 * the guest's feet in the middle of an update cycle. */
		return c->reg[r] & (uint8_t)~MVM_CMOS_A_UIP;
	case MVM_CMOS_STATUS_C:
		v = c->reg[r];
		c->reg[r] = 0;
		return v;
	default:
		return c->reg[r];
	}
}
/* LAB(1) STUB
// LAB 1 (task 3): return the value the guest reads from register r.
// Time registers (seconds ... year, day of week 1 = Sunday, century
// 0x32) come from guest_time(); honour status B: BCD unless
// MVM_CMOS_B_BINARY, and 12-hour hours (1-12, midnight is 12) with
// MVM_CMOS_HOUR_PM unless MVM_CMOS_B_24H. Status A never shows UIP,
// status C clears on read, everything else reads c->reg[r]. Hint:
// cmos.h lists the registers; struct tm counts months from 0.
static uint8_t reg_read(struct mvm_cmos *c, unsigned r)
{
	(void)c;
	(void)r;
	return 0xff;
}
LAB(1) END */

/* LAB(1, cmos-time-write) BEGIN */
/* Decode a guest-written field; -1 if it is not a valid number in the
 * current format (e.g. 0x5a in BCD). */
static int decode(const struct mvm_cmos *c, uint8_t v)
{
	if (c->reg[MVM_CMOS_STATUS_B] & MVM_CMOS_B_BINARY)
		return v;
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0x0f);
}

/* Is v a possible value of time register r? (The day is checked against
 * 31 only; timegm() normalises 31 November to 1 December, as the chip's
 * own date logic would roll over.) */
static int field_valid(unsigned r, int v)
{
	switch (r) {
	case MVM_CMOS_SECONDS:
	case MVM_CMOS_MINUTES:
		return v >= 0 && v <= 59;
	case MVM_CMOS_HOURS:
		return v >= 0 && v <= 23;
	case MVM_CMOS_DAY:
		return v >= 1 && v <= 31;
	case MVM_CMOS_MONTH:
		return v >= 1 && v <= 12;
	default: /* year */
		return v >= 0 && v <= 99;
	}
}

static void apply_field(struct tm *tm, unsigned r, int v)
{
	if (r == MVM_CMOS_SECONDS)
		tm->tm_sec = v;
	else if (r == MVM_CMOS_MINUTES)
		tm->tm_min = v;
	else if (r == MVM_CMOS_HOURS)
		tm->tm_hour = v;
	else if (r == MVM_CMOS_DAY)
		tm->tm_mday = v;
	else if (r == MVM_CMOS_MONTH)
		tm->tm_mon = v - 1;
	else /* year: keep the century */
		tm->tm_year = (tm->tm_year + 1900) / 100 * 100 + v - 1900;
}

/* The guest sets a time field: move its clock, never the host's. */
static void set_time_field(struct mvm_cmos *c, unsigned r, uint8_t raw)
{
	int twelve = !(c->reg[MVM_CMOS_STATUS_B] & MVM_CMOS_B_24H);
	int pm = 0, v;
	struct tm tm;

	if (r == MVM_CMOS_HOURS && twelve) {
		pm = raw & MVM_CMOS_HOUR_PM;
		raw &= (uint8_t)~MVM_CMOS_HOUR_PM;
	}
	v = decode(c, raw);
	if (r == MVM_CMOS_HOURS && twelve)
		v = v >= 1 && v <= 12 ? v % 12 + (pm ? 12 : 0) : -1;
	if (v < 0 || !field_valid(r, v)) {
		mvm_logf(c->log, MVM_LOG_WARN,
			 "cmos: guest wrote 0x%02x to time register 0x%02x: "
			 "not a valid value, ignored",
			 raw, r);
		return;
	}
	guest_time(c, &tm);
	apply_field(&tm, r, v);
	c->offset = (int64_t)timegm(&tm) - c->clock(c->clock_ctx);
}

/* The guest writes register r. Status C and D are read-only; the day of
 * week and the century follow from the date, so writes to them are
 * ignored too (a real chip stores them; we compute them). */
static void reg_write(struct mvm_cmos *c, unsigned r, uint8_t v)
{
	switch (r) {
	case MVM_CMOS_SECONDS:
	case MVM_CMOS_MINUTES:
	case MVM_CMOS_HOURS:
	case MVM_CMOS_DAY:
	case MVM_CMOS_MONTH:
	case MVM_CMOS_YEAR:
		set_time_field(c, r, v);
		break;
	case MVM_CMOS_STATUS_A:
		c->reg[r] = v & (uint8_t)~MVM_CMOS_A_UIP;
		break;
	case MVM_CMOS_STATUS_C:
	case MVM_CMOS_STATUS_D:
	case MVM_CMOS_WEEKDAY:
	case MVM_CMOS_CENTURY:
		mvm_logf(c->log, MVM_LOG_DEBUG,
			 "cmos: write 0x%02x to read-only register 0x%02x "
			 "ignored",
			 v, r);
		break;
	default:
		c->reg[r] = v; /* status B, alarms, NVRAM */
		break;
	}
}
/* LAB(1) STUB
// LAB 1 (task 3): the guest writes v to register r. Time registers
// move the guest's clock (keep an offset in c->offset; never the host's
// clock) and ignore an invalid value: bad BCD (0x5a) or out of range
// (minute 0x75, month 0x13). Status A keeps all bits but UIP, status C/D,
// weekday and century ignore writes, the rest (status B, alarms, NVRAM)
// store v. Hint: decode v as status B says (BCD/binary, 12/24-hour),
// change that field of guest_time()'s struct tm, timegm() it back.
static void reg_write(struct mvm_cmos *c, unsigned r, uint8_t v)
{
	(void)c;
	(void)r;
	(void)v;
}
LAB(1) END */

/* Port offset 0 is the index, 1 the data port; only byte accesses exist
 * on this 8-bit ISA device. */
static int cmos_read(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		     void *data, uint32_t len)
{
	struct mvm_cmos *c = dev;

	if (len != 1)
		return -EINVAL;
	if (offset == MVM_CMOS_PORT_INDEX)
		*(uint8_t *)data = 0xff; /* the index port is write-only */
	else
		*(uint8_t *)data = reg_read(c, c->index);
	return 0;
}

static int cmos_write(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		      const void *data, uint32_t len)
{
	struct mvm_cmos *c = dev;
	uint8_t v = *(const uint8_t *)data;

	if (len != 1)
		return -EINVAL;
	if (offset == MVM_CMOS_PORT_INDEX) {
		/* Seven bits reach the chip; bit 7 gates NMI on a PC. */
		c->index = v & 0x7f;
		c->nmi_mask = v & 0x80;
	} else {
		reg_write(c, c->index, v);
	}
	return 0;
}

static void cmos_reset(void *dev)
{
	power_on(dev);
}

/*
 * Save/load (outside the lab's regions): the selected index, the NMI
 * mask bit, every register byte and the guest clock's offset from the
 * host's. The time registers themselves are not saved: they follow from
 * the offset, so a restored guest's clock keeps running.
 */
#define CMOS_MAGIC   MVM_DEVSTATE_MAGIC('C', 'M', 'O', 'S')
#define CMOS_VERSION 1

struct cmos_state {
	int64_t offset;		     /* guest time minus host time */
	uint8_t index;		     /* 0-127 */
	uint8_t nmi_mask;	     /* 0 or 0x80 */
	uint8_t reg[MVM_CMOS_NREGS]; /* status, alarm and NVRAM bytes */
};

static int cmos_save(void *dev, void *buf, size_t len)
{
	struct mvm_cmos *c = dev;
	struct cmos_state s;

	memset(&s, 0, sizeof(s));
	s.offset = c->offset;
	s.index = c->index;
	s.nmi_mask = c->nmi_mask;
	memcpy(s.reg, c->reg, sizeof(s.reg));
	return mvm_devstate_put(buf, len, CMOS_MAGIC, CMOS_VERSION, &s,
				sizeof(s));
}

static int cmos_load(void *dev, const void *buf, size_t len)
{
	struct mvm_cmos *c = dev;
	struct cmos_state s;
	int r = mvm_devstate_take(buf, len, CMOS_MAGIC, CMOS_VERSION, &s,
				  sizeof(s));

	if (r < 0)
		return r;
	if (s.index >= MVM_CMOS_NREGS || (s.nmi_mask & 0x7f))
		return -EINVAL;
	c->offset = s.offset;
	c->index = s.index;
	c->nmi_mask = s.nmi_mask;
	memcpy(c->reg, s.reg, sizeof(c->reg));
	return (int)len;
}

const struct mvm_dev_ops mvm_cmos_ops = {
	.name = "cmos-rtc",
	.read = cmos_read,
	.write = cmos_write,
	.reset = cmos_reset,
	.save = cmos_save,
	.load = cmos_load,
};

int mvm_cmos_create(mvm_clock_fn *clock, void *ctx, const struct mvm_log *log,
		    struct mvm_cmos **dev)
{
	struct mvm_cmos *c = calloc(1, sizeof(*c));

	*dev = NULL;
	if (!c)
		return -ENOMEM;
	c->clock = clock ? clock : host_clock;
	c->clock_ctx = ctx;
	c->log = log;
	power_on(c);
	*dev = c;
	return 0;
}

void mvm_cmos_destroy(struct mvm_cmos *dev)
{
	free(dev);
}
