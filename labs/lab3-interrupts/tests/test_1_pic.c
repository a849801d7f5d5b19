/*
 * test_1_pic.c - Lab 3, tasks 1-3: the 8259A's priority resolver, its
 * INTA cycle and its EOI commands (pic.c), driven through the ports the
 * way a guest drives them. No /dev/kvm needed.
 */
#include <stdlib.h>
#include <unistd.h>
#include <time.h>

#include "lab3.h"

#define M_CMD  MVM_PORT_PIC_MASTER
#define M_DATA (MVM_PORT_PIC_MASTER + 1)
#define S_CMD  MVM_PORT_PIC_SLAVE
#define S_DATA (MVM_PORT_PIC_SLAVE + 1)
#define EOI    0x20

/* The PC's initialisation with vector bases mb / sb, all unmasked. */
static struct mvm_pic *pic_at(uint8_t mb, uint8_t sb)
{
	struct mvm_pic *p;

	GRADE_EXPECT(mvm_pic_create(NULL, &p) == 0, "mvm_pic_create failed");
	mvm_pic_write(p, M_CMD, 0x11);
	mvm_pic_write(p, M_DATA, mb);
	mvm_pic_write(p, M_DATA, 0x04);
	mvm_pic_write(p, M_DATA, 0x01);
	mvm_pic_write(p, S_CMD, 0x11);
	mvm_pic_write(p, S_DATA, sb);
	mvm_pic_write(p, S_DATA, 0x02);
	mvm_pic_write(p, S_DATA, 0x01);
	return p;
}

/* Random vector bases (multiples of 8 above the exceptions), so no
 * vector can be guessed. */
static struct mvm_pic *pic_random(uint8_t *mb, uint8_t *sb)
{
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	*mb = (uint8_t)(0x20 + 8 * (rand() % 24));
	*sb = (uint8_t)(*mb == 0xe0 ? 0x20 : *mb + 8);
	return pic_at(*mb, *sb);
}

static void pulse(struct mvm_pic *p, unsigned irq)
{
	mvm_pic_set_irq(p, irq, 1);
	mvm_pic_set_irq(p, irq, 0);
}

static void pic_raises_int_for_the_highest_unmasked_request(void **state)
{
	uint8_t mb, sb;
	struct mvm_pic *p = pic_random(&mb, &sb);

	(void)state;
	GRADE_EXPECT(!mvm_pic_pending(p), "INT is high with no request");
	mvm_pic_write(p, M_DATA, 0x08); /* mask IR3 */
	pulse(p, 3);
	GRADE_EXPECT(!mvm_pic_pending(p),
		     "INT is high for IR3, which IMR masks (0x08)");
	pulse(p, 6);
	GRADE_EXPECT(mvm_pic_pending(p), "IR6 is requested and unmasked, but "
					 "INT (mvm_pic_pending) is low");
	pulse(p, 5);
	GRADE_EXPECT_EQ(mvm_pic_ack(p), mb + 5,
			"vector with IR3 (masked), IR5 and IR6 requested: "
			"IR5 has the higher priority");
	mvm_pic_write(p, M_DATA, 0x00); /* unmask IR3: it outranks IR5 */
	GRADE_EXPECT(mvm_pic_pending(p), "IR3, now unmasked, outranks IR5 in "
					 "service, but INT is low");
	GRADE_EXPECT_EQ(mvm_pic_ack(p), mb + 3, "vector of the unmasked IR3");
	GRADE_EXPECT(!mvm_pic_pending(p),
		     "IR3 and IR5 are in service and only IR6 (lower) is "
		     "requested, yet INT is high");
	mvm_pic_destroy(p);
}

static void pic_in_service_blocks_lower_not_higher(void **state)
{
	uint8_t mb, sb;
	struct mvm_pic *p = pic_random(&mb, &sb);

	(void)state;
	pulse(p, 4);
	GRADE_EXPECT_EQ(mvm_pic_ack(p), mb + 4, "vector of IR4");
	pulse(p, 4);
	pulse(p, 7);
	GRADE_EXPECT(!mvm_pic_pending(p),
		     "IR4 in service must block IR4 and IR7 (INT is high)");
	pulse(p, 1);
	GRADE_EXPECT(mvm_pic_pending(p),
		     "IR1 outranks IR4 in service and must nest (INT low)");
	GRADE_EXPECT_EQ(mvm_pic_ack(p), mb + 1, "vector of the nested IR1");
	mvm_pic_destroy(p);
}

static void pic_priority_follows_rotation_and_special_mask(void **state)
{
	uint8_t mb, sb;
	struct mvm_pic *p = pic_random(&mb, &sb);

	(void)state;
	mvm_pic_write(p, M_CMD, 0xc0 | 2); /* set priority: IR2 lowest */
	pulse(p, 1);
	pulse(p, 4);
	GRADE_EXPECT_EQ(mvm_pic_ack(p), mb + 4,
			"after OCW2 'set priority' with IR2 lowest, IR3 is "
			"highest: IR4 beats IR1");
	/* Special mask mode: IR4 in service and masked no longer blocks. */
	mvm_pic_write(p, M_CMD, 0x68); /* OCW3 ESMM|SMM */
	mvm_pic_write(p, M_DATA, 0x10);
	pulse(p, 6);
	GRADE_EXPECT(mvm_pic_pending(p),
		     "special mask mode: IR4 is in service but masked, so IR6 "
		     "must get through");
	mvm_pic_destroy(p);
}

static void pic_ack_moves_irr_to_isr(void **state)
{
	uint8_t mb, sb;
	struct mvm_pic *p = pic_random(&mb, &sb);
	struct mvm_pic_regs r;

	(void)state;
	pulse(p, 5);
	mvm_pic_get_regs(p, 0, &r);
	GRADE_EXPECT_EQ(r.irr, 0x20, "IRR after a pulse on IR5");
	GRADE_EXPECT_EQ(mvm_pic_ack(p), mb + 5,
			"vector of IR5 (ICW2 base + 5)");
	mvm_pic_get_regs(p, 0, &r);
	GRADE_EXPECT_EQ(r.irr, 0, "IRR after the INTA cycle (edge mode)");
	GRADE_EXPECT_EQ(r.isr, 0x20, "ISR after the INTA cycle");
	GRADE_EXPECT(!mvm_pic_pending(p), "INT still high after the INTA");
	mvm_pic_destroy(p);
}

static void pic_ack_through_the_cascade_gives_the_slave_vector(void **state)
{
	uint8_t mb, sb;
	struct mvm_pic *p = pic_random(&mb, &sb);
	struct mvm_pic_regs mr, sr;

	(void)state;
	pulse(p, 11);
	GRADE_EXPECT(mvm_pic_pending(p), "IRQ 11 (slave IR3) does not reach "
					 "the master's INT through IR2");
	GRADE_EXPECT_EQ(mvm_pic_ack(p), sb + 3,
			"vector of IRQ 11 (slave base "
			"+ 3)");
	mvm_pic_get_regs(p, 0, &mr);
	mvm_pic_get_regs(p, 1, &sr);
	GRADE_EXPECT_EQ(mr.isr, 0x04, "master ISR: the cascade input IR2");
	GRADE_EXPECT_EQ(sr.isr, 0x08, "slave ISR: its IR3");
	mvm_pic_destroy(p);
}

static void pic_ack_with_nothing_pending_is_spurious_ir7(void **state)
{
	uint8_t mb, sb;
	struct mvm_pic *p = pic_random(&mb, &sb);
	struct mvm_pic_regs r;
	struct mvm_pic_stats st;

	(void)state;
	GRADE_EXPECT_EQ(mvm_pic_ack(p), mb + 7,
			"INTA with nothing requested: the master's IR7 vector");
	mvm_pic_get_regs(p, 0, &r);
	GRADE_EXPECT_EQ(r.isr, 0,
			"ISR after a spurious INTA (IR7 must not "
			"be put in service)");
	mvm_pic_get_stats(p, &st);
	GRADE_EXPECT_EQ(st.spurious, 1, "stats.spurious");
	mvm_pic_destroy(p);
}

static void pic_nonspecific_eoi_ends_the_highest_in_service(void **state)
{
	uint8_t mb, sb;
	struct mvm_pic *p = pic_random(&mb, &sb);
	struct mvm_pic_regs r;

	(void)state;
	pulse(p, 6);
	GRADE_EXPECT_EQ(mvm_pic_ack(p), mb + 6, "vector of IR6");
	pulse(p, 2 + 1);
	GRADE_EXPECT_EQ(mvm_pic_ack(p), mb + 3, "vector of the nested IR3");
	mvm_pic_write(p, M_CMD, EOI);
	mvm_pic_get_regs(p, 0, &r);
	GRADE_EXPECT_EQ(r.isr, 0x40,
			"ISR after one non-specific EOI (IR3 "
			"ends, IR6 stays)");
	mvm_pic_write(p, M_CMD, EOI);
	mvm_pic_write(p, M_CMD, EOI); /* nothing left: harmless */
	mvm_pic_get_regs(p, 0, &r);
	GRADE_EXPECT_EQ(r.isr, 0, "ISR after two more EOIs");
	pulse(p, 6);
	GRADE_EXPECT(mvm_pic_pending(p), "IR6 requested again after its EOI, "
					 "but INT is low");
	mvm_pic_destroy(p);
}

static void pic_specific_and_rotating_eoi(void **state)
{
	uint8_t mb, sb;
	struct mvm_pic *p = pic_random(&mb, &sb);
	struct mvm_pic_regs r;

	(void)state;
	pulse(p, 5);
	GRADE_EXPECT_EQ(mvm_pic_ack(p), mb + 5, "vector of IR5");
	mvm_pic_write(p, M_CMD, 0x60 | 2); /* specific EOI, IR2: no effect */
	mvm_pic_get_regs(p, 0, &r);
	GRADE_EXPECT_EQ(r.isr, 0x20, "ISR after a specific EOI for IR2");
	mvm_pic_write(p, M_CMD, 0xe0 | 5); /* rotate on specific EOI IR5 */
	mvm_pic_get_regs(p, 0, &r);
	GRADE_EXPECT_EQ(r.isr, 0, "ISR after 'rotate on specific EOI' IR5");
	GRADE_EXPECT_EQ(r.lowest, 5, "lowest priority after that rotation");
	pulse(p, 0);
	pulse(p, 6);
	GRADE_EXPECT_EQ(mvm_pic_ack(p), mb + 6,
			"after the rotation IR6 is highest: it beats IR0");
	mvm_pic_write(p, M_CMD, 0xa0); /* rotate on non-specific EOI */
	mvm_pic_get_regs(p, 0, &r);
	GRADE_EXPECT_EQ(r.lowest, 6,
			"lowest after 'rotate on non-specific "
			"EOI' of IR6");
	mvm_pic_destroy(p);
}

static void pic_slave_eoi_unblocks_the_cascade(void **state)
{
	uint8_t mb, sb;
	struct mvm_pic *p = pic_random(&mb, &sb);

	(void)state;
	pulse(p, 9);
	GRADE_EXPECT_EQ(mvm_pic_ack(p), sb + 1, "vector of IRQ 9");
	pulse(p, 9);
	GRADE_EXPECT(!mvm_pic_pending(p), "IRQ 9 again before its EOI must "
					  "wait");
	mvm_pic_write(p, S_CMD, EOI);
	mvm_pic_write(p, M_CMD, EOI);
	GRADE_EXPECT(mvm_pic_pending(p), "after the EOIs to slave and master "
					 "the second IRQ 9 must get through");
	GRADE_EXPECT_EQ(mvm_pic_ack(p), sb + 1, "vector of the second IRQ 9");
	mvm_pic_destroy(p);
}

static const struct grade_test tests[] = {
	GRADE_TEST(pic_raises_int_for_the_highest_unmasked_request, 5,
		   "task 1: chip_pending() in pic.c"),
	GRADE_TEST(pic_in_service_blocks_lower_not_higher, 5,
		   "task 1: chip_pending() in pic.c"),
	GRADE_TEST(pic_priority_follows_rotation_and_special_mask, 3,
		   "task 1: chip_pending() in pic.c (rotation, SMM)"),
	GRADE_TEST(pic_ack_moves_irr_to_isr, 5,
		   "task 2: mvm_pic_pair_ack() in pic.c"),
	GRADE_TEST(pic_ack_through_the_cascade_gives_the_slave_vector, 5,
		   "task 2: mvm_pic_pair_ack() in pic.c (cascade)"),
	GRADE_TEST(pic_ack_with_nothing_pending_is_spurious_ir7, 3,
		   "task 2: mvm_pic_pair_ack() in pic.c (spurious)"),
	GRADE_TEST(pic_nonspecific_eoi_ends_the_highest_in_service, 5,
		   "task 3: write_ocw2() in pic.c"),
	GRADE_TEST(pic_specific_and_rotating_eoi, 4,
		   "task 3: write_ocw2() in pic.c"),
	GRADE_TEST(pic_slave_eoi_unblocks_the_cascade, 3,
		   "task 3: write_ocw2() in pic.c (cascade)"),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
