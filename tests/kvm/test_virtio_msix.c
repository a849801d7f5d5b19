/*
 * test_virtio_msix.c - virtio-pci interrupts as MSI-X messages, end to
 * end: examples/virtio-pci-msix.c programs the table, maps queue 0 and
 * takes virtio-blk's completions through its local APIC; the host checks
 * what the guest observed and what the transport counted. With the fast
 * path every message goes through an irqfd MSI route (pci_msifd.c) and
 * none by KVM_SIGNAL_MSI; plain, the reverse. Also: MSI-X
 * is offered only with the in-kernel irqchip, and a guest that leaves it
 * off still gets INTx (virtio-pci-irq.c on the same machine).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "mbox.h"

#define RUN_MS	   60000
#define DISK_BYTES (16 * 1024)

static void make_file(char *path, size_t size)
{
	static uint8_t img[DISK_BYTES];
	int fd;

	snprintf(path, size, "/tmp/mvm-msix-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img, sizeof(img)), sizeof(img));
	close(fd);
}

/* Run on to the guest's next SYNC. */
static void next_sync(struct box *b, struct mvm_machine *m,
		      struct mvm_ucall *uc)
{
	enum mvm_verdict v;

	fixture_backstop(RUN_MS);
	v = mvm_machine_run(m, 0, RUN_MS, 1, NULL, NULL, NULL);
	alarm(0);
	if (v != MVM_SYNC)
		fail_msg("%s\n%s%s", mvm_verdict_name(v), b->out, b->log);
	assert_int_equal(
		mvm_ucall_last_of(mvm_machine_devices(m)->ucall, 0, uc),
		MVM_UCALL_SYNC);
}

/* Run image on a PCI virtio-blk machine to its SYNC; returns the machine
 * (the caller destroys it) with the SYNC in *uc. */
static struct mvm_machine *run_to_sync(struct box *b, const char *image,
				       int plain, const char *path,
				       struct mvm_ucall *uc)
{
	struct mvm_machine_config cfg = {
		.irqchip = MVM_IRQCHIP_KERNEL,
		.virtio = MVM_VIRTIO_DEV_BLK,
		.disk = path,
		.virtio_transport = MVM_VIRTIO_TRANSPORT_PCI,
		.virtio_plain = plain,
		.image = image,
		.mode = MVM_MODE_AUTO,
	};
	struct mvm_machine *m;

	m = mbox_machine(b, &cfg);
	next_sync(b, m, uc);
	return m;
}

/* How the messages went: all by route (fast) or all by ioctl (plain). */
static void expect_delivery(const struct mvm_virtio_pci_msix *x, int plain)
{
	assert_int_equal(x->irqfd, !plain);
	assert_int_equal(x->routed, plain ? 0 : x->messages);
	assert_int_equal(x->signalled, plain ? x->messages : 0);
}

/* Steps 5-7 of the guest: a rewritten entry moves the route, an address
 * outside the MSI window is dropped and counted (route gone), disabling
 * MSI-X removes the route. */
static void after_first_sync(struct box *b, struct mvm_machine *m, int plain)
{
	struct mvm_virtio_pci *t =
		mvm_machine_virtio(m)->vpci[MVM_VIRTIO_SLOT_BLK];
	struct mvm_virtio_pci_msix x;
	struct mvm_gsi_routes_info ri;
	struct mvm_gsi_routes *r;
	struct mvm_ucall uc;

	assert_int_equal(mvm_virtio_pci_msix_info(t, &x), 0);
	assert_int_equal(x.routes, plain ? 0 : 1); /* queue 0's vector */
	assert_int_equal(mvm_machine_gsi_routes(m, &r), 0);
	mvm_gsi_routes_info(r, &ri);
	assert_int_equal(ri.msi, plain ? 0 : 1);
	/* One table write, at enable: masking and unmasking (steps 3, 4)
	 * keep the route and leave the holding to the transport. */
	assert_int_equal(ri.writes, plain ? 0 : 1);
	next_sync(b, m, &uc);
	assert_int_equal(uc.args[0], 2);
	assert_int_equal(uc.args[1], 4); /* VEC_BLK: none since */
	assert_int_equal(uc.args[2], 1); /* VEC_BLK2: the rewritten */
	assert_int_equal(mvm_virtio_pci_msix_info(t, &x), 0);
	assert_false(x.enabled);
	assert_int_equal(x.messages, 5);
	assert_int_equal(x.refused, 1); /* step 6 */
	assert_int_equal(x.last_data, 0x42);
	expect_delivery(&x, plain);
	assert_int_equal(x.routes, 0);
	mvm_gsi_routes_info(r, &ri);
	assert_int_equal(ri.msi, 0);
	/* + the data change (5), the route removed at the bad address (6),
	 * made again at the good one and removed at disable (7). */
	assert_int_equal(ri.writes, plain ? 0 : 5);
}

static void run_msix(int plain)
{
	struct box b = {0};
	struct mvm_virtio_pci_msix x;
	struct mvm_machine *m;
	struct mvm_ucall uc;
	char path[64], stats[1024], snap[80], want[160];

	make_file(path, sizeof(path));
	m = run_to_sync(&b, MVM_GUEST_DIR "/virtio-pci-msix.elf", plain, path,
			&uc);
	assert_int_equal(uc.args[0], 1);
	assert_int_equal(uc.args[1], 4); /* 3 + the one held while masked */
	assert_int_equal(uc.args[2], MVM_VPCI_NO_VECTOR); /* vector 7 */
	assert_int_equal(uc.args[3] >> 32, 1); /* PBA bit 0 while masked */
	assert_int_equal(uc.args[3] & 0xffffffff, 0); /* clear once sent */
	assert_int_equal(
		mvm_virtio_pci_msix_info(
			mvm_machine_virtio(m)->vpci[MVM_VIRTIO_SLOT_BLK], &x),
		0);
	assert_true(x.enabled);
	assert_int_equal(x.vectors, 2); /* queue 0 + config */
	assert_int_equal(x.messages, 4);
	assert_int_equal(x.held, 1);
	assert_int_equal(x.refused, 0);
	assert_int_equal(x.last_addr, 0xfee00000u);
	assert_int_equal(x.last_data, 0x41); /* VEC_BLK */
	expect_delivery(&x, plain);
	mvm_machine_virtio_stats(m, stats, sizeof(stats));
	if (!strstr(stats, "virtio-blk msix: enabled, 4 messages, 1 held"))
		fail_msg("--stats says:\n%s", stats);
	snprintf(want, sizeof(want),
		 "delivery %s: %d by irqfd route, %d by "
		 "KVM_SIGNAL_MSI",
		 plain ? "KVM_SIGNAL_MSI" : "irqfd routes", plain ? 0 : 4,
		 plain ? 4 : 0);
	if (!strstr(stats, want))
		fail_msg("--stats says:\n%s\nnot: %s", stats, want);
	/* Snapshots do not carry the MSI-X table yet: refused, said, and
	 * no file left behind (virtio_state.c). */
	snprintf(snap, sizeof(snap), "%s.snap", path);
	assert_true(mvm_snapshot_save(m, snap) < 0);
	assert_non_null(strstr(b.log, "enabled MSI-X"));
	assert_int_equal(access(snap, F_OK), -1);
	after_first_sync(&b, m, plain);
	mvm_machine_destroy(m);
	unlink(path);
}

/* *state: 1 for plain kicks, 0 for the ioeventfd path. */
static void completions_arrive_as_msix_messages(void **state)
{
	run_msix(*(int *)*state);
}

/* The INTx guest never enables MSI-X: INTx must still work, and the
 * transport must have sent no message. */
static void intx_stays_when_msix_is_left_off(void **state)
{
	struct box b = {0};
	struct mvm_virtio_pci_msix x;
	struct mvm_machine *m;
	struct mvm_ucall uc;
	char path[64];

	(void)state;
	make_file(path, sizeof(path));
	m = run_to_sync(&b, MVM_GUEST_DIR "/virtio-pci-irq.elf", 0, path, &uc);
	assert_int_equal(uc.args[1], 3); /* interrupts through INTx */
	assert_int_equal(
		mvm_virtio_pci_msix_info(
			mvm_machine_virtio(m)->vpci[MVM_VIRTIO_SLOT_BLK], &x),
		0);
	assert_false(x.enabled);
	assert_int_equal(x.messages, 0);
	mvm_machine_destroy(m);
	unlink(path);
}

/* KVM_SET_GSI_ROUTING replaces the whole table: the machine's copy must
 * keep KVM's default entries, or INTx (GSI 8-15 through the slave PIC)
 * dies once an MSI route exists. So: take routes, refuse bad ones, and
 * then the INTx guest must still get its three interrupts. */
static void default_routes_survive_msi_routes(void **state)
{
	struct mvm_machine_config cfg = {
		.irqchip = MVM_IRQCHIP_KERNEL,
		.virtio = MVM_VIRTIO_DEV_BLK,
		.virtio_transport = MVM_VIRTIO_TRANSPORT_PCI,
		.image = MVM_GUEST_DIR "/virtio-pci-irq.elf",
		.mode = MVM_MODE_AUTO,
	};
	struct mvm_gsi_routes_info ri;
	struct mvm_gsi_routes *r;
	struct mvm_machine *m;
	struct mvm_ucall uc;
	struct box b = {0};
	unsigned gsi[MVM_GSI_MSI_MAX], extra;
	char path[64];

	(void)state;
	make_file(path, sizeof(path));
	cfg.disk = path;
	m = mbox_machine(&b, &cfg);
	if (mvm_machine_gsi_routes(m, &r) == -EOPNOTSUPP) {
		print_message("skipped: KVM has no GSI routing or irqfd\n");
		mvm_machine_destroy(m);
		unlink(path);
		skip();
	}
	assert_int_equal(mvm_gsi_route_msi_add(r, 0xfed00000u, 0x41, &extra),
			 -EINVAL);
	for (unsigned i = 0; i < MVM_GSI_MSI_MAX; i++) {
		assert_int_equal(mvm_gsi_route_msi_add(r, 0xfee00000u,
						       0x50 + i % 16, &gsi[i]),
				 0);
		assert_int_equal(gsi[i], MVM_GSI_MSI_FIRST + i);
	}
	assert_int_equal(mvm_gsi_route_msi_add(r, 0xfee00000u, 0x41, &extra),
			 -ENOSPC);
	assert_int_equal(mvm_gsi_route_msi_set(r, gsi[0], 0xfee01000u, 0x42),
			 0);
	assert_int_equal(mvm_gsi_route_msi_del(r, gsi[1]), 0);
	assert_int_equal(mvm_gsi_route_msi_del(r, gsi[1]), -ENOENT);
	assert_int_equal(mvm_gsi_route_msi_del(r, 5), -ENOENT); /* not MSI */
	mvm_gsi_routes_info(r, &ri);
	assert_int_equal(ri.msi, MVM_GSI_MSI_MAX - 1);
	next_sync(&b, m, &uc);
	assert_int_equal(uc.args[1], 3); /* interrupts through INTx */
	mvm_machine_destroy(m);
	unlink(path);
}

/* No LAPIC to receive messages: no capability, no BAR 1. */
static void no_msix_without_the_kernel_irqchip(void **state)
{
	struct box b = {0};
	struct mvm_virtio_pci_msix x;
	char path[64];
	struct mvm_machine_config cfg = {
		.virtio = MVM_VIRTIO_DEV_BLK,
		.disk = path,
		.virtio_transport = MVM_VIRTIO_TRANSPORT_PCI,
	};
	struct mvm_machine *m;
	struct mvm_virtio_pci *t;
	uint8_t bar1[4];

	(void)state;
	make_file(path, sizeof(path));
	m = mbox_machine(&b, &cfg);
	t = mvm_machine_virtio(m)->vpci[MVM_VIRTIO_SLOT_BLK];
	assert_int_equal(mvm_virtio_pci_msix_info(t, &x), -ENODEV);
	assert_int_equal(mvm_pci_cfg_get(mvm_virtio_pci_func(t),
					 MVM_PCI_BAR0 + 4, bar1, 4),
			 0);
	assert_int_equal(bar1[0] | bar1[1] | bar1[2] | bar1[3], 0);
	mvm_machine_destroy(m);
	unlink(path);
}

int main(void)
{
	static int plain = 1, fast = 0;
	static const struct CMUnitTest tests[] = {
		{"completions_arrive_as_msix_messages",
		 completions_arrive_as_msix_messages, NULL, NULL, &plain},
		{"completions_arrive_as_msix_messages_with_ioeventfd",
		 completions_arrive_as_msix_messages, NULL, NULL, &fast},
		cmocka_unit_test(intx_stays_when_msix_is_left_off),
		cmocka_unit_test(default_routes_survive_msi_routes),
		cmocka_unit_test(no_msix_without_the_kernel_irqchip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
