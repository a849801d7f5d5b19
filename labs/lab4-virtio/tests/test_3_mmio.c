/*
 * test_3_mmio.c - Lab 4, tasks 4-5: the virtio-mmio register block
 * (mmio.c, reg_read()/reg_write()) and the guest driver's feature
 * negotiation (examples/runtime/virtio.c, negotiate()).
 *
 * The register tests need no KVM: they put a device behind a transport
 * on no bus and make the 32-bit accesses a driver would, through the
 * transport's bus ops, then look at the device itself (virtio.h). The
 * negotiation tests run lab4-blk.elf and watch, exit by exit, what the
 * guest wrote to Status and DriverFeatures (virtio 1.2, 3.1.1), then
 * compare with what the device accepted.
 */
#include <string.h>

#include "lab4.h"
#include "minivmm/virtio_mmio.h"

static uint32_t rd(struct mvm_virtio_mmio *t, uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	GRADE_EXPECT_EQ(mvm_virtio_mmio_ops.read(t, NULL, off, &v, 4), 0,
			"a 32-bit read of the register block");
	return v;
}

static void wr(struct mvm_virtio_mmio *t, uint64_t off, uint32_t v)
{
	GRADE_EXPECT_EQ(mvm_virtio_mmio_ops.write(t, NULL, off, &v, 4), 0,
			"a 32-bit write of the register block");
}

static void transport(struct rig *r, struct mvm_virtio_mmio **t)
{
	rig_init(r, MVM_VIRTIO_F_COMMON);
	GRADE_EXPECT_EQ(mvm_virtio_mmio_create(NULL, &r->dev, 0, 0, t), 0,
			"mvm_virtio_mmio_create(NULL, ...)");
}

static void mmio_registers_identify_the_device(void **state)
{
	struct rig r;
	struct mvm_virtio_mmio *t;
	uint64_t offered;

	(void)state;
	transport(&r, &t);
	offered = r.dev.offered;
	GRADE_EXPECT_EQ(rd(t, MVM_VMMIO_MAGIC), MVM_VMMIO_MAGIC_VALUE,
			"MagicValue (0x000)");
	GRADE_EXPECT_EQ(rd(t, MVM_VMMIO_VERSION), 2, "Version (0x004)");
	GRADE_EXPECT_EQ(rd(t, MVM_VMMIO_DEVICE_ID), MVM_VIRTIO_ID_RNG,
			"DeviceID (0x008) of this device");
	GRADE_EXPECT_EQ(rd(t, MVM_VMMIO_VENDOR_ID), MVM_VMMIO_VENDOR,
			"VendorID (0x00c)");
	wr(t, MVM_VMMIO_DEV_FEAT_SEL, 1);
	GRADE_EXPECT_EQ(
		rd(t, MVM_VMMIO_DEV_FEATURES), offered >> 32,
		"DeviceFeatures with DeviceFeaturesSel = 1 (bits 32-63)");
	wr(t, MVM_VMMIO_DEV_FEAT_SEL, 0);
	GRADE_EXPECT_EQ(
		rd(t, MVM_VMMIO_DEV_FEATURES), (uint32_t)offered,
		"DeviceFeatures with DeviceFeaturesSel = 0 (bits 0-31)");
	wr(t, MVM_VMMIO_QUEUE_SEL, 0);
	GRADE_EXPECT_EQ(rd(t, MVM_VMMIO_QUEUE_NUM_MAX), RIG_QSIZE,
			"QueueNumMax of queue 0");
	GRADE_EXPECT_EQ(rd(t, MVM_VMMIO_QUEUE_READY), 1,
			"QueueReady of queue 0 (the test enabled it)");
	wr(t, MVM_VMMIO_QUEUE_SEL, 1);
	GRADE_EXPECT_EQ(
		rd(t, MVM_VMMIO_QUEUE_NUM_MAX), 0,
		"QueueNumMax of queue 1, which this device does not have");
	GRADE_EXPECT_EQ(rd(t, MVM_VMMIO_STATUS), 0x0f,
			"Status (the test's setup left it at 0x0f)");
	GRADE_EXPECT_EQ(rd(t, MVM_VMMIO_CONFIG_GEN), r.dev.config_gen,
			"ConfigGeneration");
	mvm_virtio_mmio_destroy(t);
	rig_free(&r);
}

static void mmio_writes_reach_the_device(void **state)
{
	struct rig r;
	struct mvm_virtio_mmio *t;
	struct mvm_virtq_chain c;
	uint64_t want = MVM_VIRTIO_BIT(MVM_VIRTIO_F_VERSION_1) |
			(lab4_rand() & MVM_VIRTIO_BIT(MVM_VIRTIO_F_EVENT_IDX));
	uint64_t desc = (lab4_rand() & 0xfff0) | (lab4_rand() << 32);
	const struct {
		unsigned lo;
		enum mvm_virtq_field f;
		const char *name;
	} area[3] = {
		{MVM_VMMIO_QUEUE_DESC_LO, MVM_VIRTQ_DESC, "QueueDesc"},
		{MVM_VMMIO_QUEUE_DRV_LO, MVM_VIRTQ_AVAIL, "QueueDriver"},
		{MVM_VMMIO_QUEUE_DEV_LO, MVM_VIRTQ_USED, "QueueDevice"},
	};

	(void)state;
	transport(&r, &t);
	wr(t, MVM_VMMIO_STATUS, 0);
	GRADE_EXPECT_EQ(mvm_virtio_get_status(&r.dev), 0,
			"device status after writing 0 to Status (a reset)");
	wr(t, MVM_VMMIO_STATUS, 3);
	wr(t, MVM_VMMIO_DRV_FEAT_SEL, 1);
	wr(t, MVM_VMMIO_DRV_FEATURES, (uint32_t)(want >> 32));
	wr(t, MVM_VMMIO_DRV_FEAT_SEL, 0);
	wr(t, MVM_VMMIO_DRV_FEATURES, (uint32_t)want);
	GRADE_EXPECT_EQ(r.dev.accepted, want,
			"the device's accepted features after DriverFeatures "
			"with DriverFeaturesSel 1, then 0");
	wr(t, MVM_VMMIO_STATUS, 0x0b);
	GRADE_EXPECT_EQ(rd(t, MVM_VMMIO_STATUS), 0x0b, "Status read back");
	wr(t, MVM_VMMIO_QUEUE_SEL, 0);
	wr(t, MVM_VMMIO_QUEUE_NUM, 4);
	GRADE_EXPECT_EQ(r.dev.vq[0].size, 4, "queue 0's size after QueueNum");
	for (int i = 0; i < 3; i++) {
		uint64_t a = desc + 0x1000ULL * (uint64_t)i;

		wr(t, area[i].lo, (uint32_t)a);
		wr(t, area[i].lo + 4, (uint32_t)(a >> 32));
		GRADE_EXPECT(mvm_virtio_queue_get(&r.dev, 0, area[i].f) == a,
			     "%s: the driver wrote 0x%llx as Low/High halves, "
			     "the device has 0x%llx",
			     area[i].name, (unsigned long long)a,
			     (unsigned long long)mvm_virtio_queue_get(
				     &r.dev, 0, area[i].f));
	}
	/* now areas in RAM, enable, DRIVER_OK */
	for (int i = 0; i < 3; i++) {
		wr(t, area[i].lo, (uint32_t)(RIG_DESC + 0x1000 * (unsigned)i));
		wr(t, area[i].lo + 4, 0);
	}
	wr(t, MVM_VMMIO_QUEUE_READY, 1);
	GRADE_EXPECT_EQ(r.dev.vq[0].ready, 1, "queue 0 after QueueReady = 1");
	wr(t, MVM_VMMIO_STATUS, 0x0f);
	GRADE_EXPECT_EQ(mvm_virtio_get_status(&r.dev), 0x0f,
			"device status after DRIVER_OK");
	/* a kick reaches the device; its push sets InterruptStatus */
	rig_desc(&r, RIG_DESC, 0, RIG_BUF, 8, MVM_VIRTQ_DESC_F_WRITE, 0);
	rig_wr16(&r, RIG_AVAIL + 4, 0);
	rig_wr16(&r, RIG_AVAIL + 2, 1);
	wr(t, MVM_VMMIO_QUEUE_NOTIFY, 0);
	GRADE_EXPECT_EQ(r.dev.vq[0].kicks, 1,
			"kicks the device counted after QueueNotify = 0");
	rig_pop(&r, &c, 1, "pop");
	GRADE_EXPECT_EQ(mvm_virtq_push(&r.dev, &c, 8), 0, "push");
	GRADE_EXPECT_EQ(rd(t, MVM_VMMIO_INT_STATUS), MVM_VIRTIO_INT_VRING,
			"InterruptStatus after a used buffer");
	wr(t, MVM_VMMIO_INT_ACK, MVM_VIRTIO_INT_VRING);
	GRADE_EXPECT_EQ(rd(t, MVM_VMMIO_INT_STATUS), 0,
			"InterruptStatus after InterruptACK");
	mvm_virtio_mmio_destroy(t);
	rig_free(&r);
}

/* --- task 5: the driver's side ---------------------------------------------- */

static void negotiation(int ro)
{
	/* bits the disk offers (RO only when ro), and two it does not */
	static const unsigned pool[] = {
		MVM_VIRTIO_F_EVENT_IDX,
		MVM_VIRTIO_F_INDIRECT_DESC,
		MVM_VIRTIO_BLK_F_FLUSH,
		MVM_VIRTIO_BLK_F_RO,
		MVM_VIRTIO_BLK_F_SEG_MAX,
		40,
		7,
	};
	static const uint32_t steps[4] = {0, 0x01, 0x03, 0x0b};
	struct mvm_virtio_dev *d;
	struct lab4 t;
	uint64_t want = 0, offered, accepted;

	lab4_require_kvm();
	memset(&t, 0, sizeof(t));
	for (unsigned i = 0; i < GRADE_N(pool); i++)
		if (lab4_rand() & 1)
			want |= MVM_VIRTIO_BIT(pool[i]);
	lab4_disk(&t, 16);
	lab4_machine(&t, LAB4_BLK, MVM_VIRTIO_TRANSPORT_MMIO, 0, ro);
	lab4_blk_start(&t, MVM_VIRTIO_TRANSPORT_MMIO, want);
	d = mvm_virtio_blk_dev(t.blk);
	offered = d->offered;
	accepted = offered & (want | MVM_VIRTIO_BIT(MVM_VIRTIO_F_VERSION_1));
	grade_note("asked for 0x%llx of 0x%llx offered: accepted 0x%llx",
		   (unsigned long long)want, (unsigned long long)offered,
		   (unsigned long long)d->accepted);
	GRADE_EXPECT(t.nstatus >= 5,
		     "the driver wrote Status %u times; 3.1.1 needs reset, "
		     "ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK",
		     t.nstatus);
	for (unsigned i = 0; i < 4; i++)
		GRADE_EXPECT(t.status_w[i] == steps[i],
			     "Status write %u of the driver was 0x%x, expected "
			     "0x%x (3.1.1: reset 0, then ACKNOWLEDGE 1, | "
			     "DRIVER 2, | FEATURES_OK 8)",
			     i + 1, t.status_w[i], steps[i]);
	GRADE_EXPECT_EQ(mvm_virtio_get_status(d), 0x0f,
			"the device's status once the driver is done");
	GRADE_EXPECT_EQ(d->accepted, accepted,
			"features the device holds as accepted: the offered "
			"bits of want | VERSION_1");
	GRADE_EXPECT_EQ(((uint64_t)t.drv_feat[1] << 32) | t.drv_feat[0],
			accepted, "DriverFeatures words the guest wrote");
	GRADE_EXPECT_EQ(t.features, accepted,
			"d->features in the guest (what it believes it got)");
	lab4_step(&t, LAB4_READ, 0, 1); /* and the disk works */
	lab4_free(&t);
}

static void guest_negotiates_features_ok_with_version_1(void **state)
{
	(void)state;
	negotiation(0);
}

static void guest_negotiates_read_only_disk(void **state)
{
	(void)state;
	negotiation(1);
}

static const struct grade_test tests[] = {
	GRADE_TEST(mmio_registers_identify_the_device, 4,
		   "task 4: reg_read() in mmio.c"),
	GRADE_TEST(mmio_writes_reach_the_device, 5,
		   "task 4: reg_write() in mmio.c"),
	GRADE_TEST(guest_negotiates_features_ok_with_version_1, 6,
		   "task 5: negotiate() in examples/runtime/virtio.c"),
	GRADE_TEST(guest_negotiates_read_only_disk, 3, "task 5: negotiate()"),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
