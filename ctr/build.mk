# ctr: the container side of minivmm (OS-level virtualization, Lab 5).
#
#   make rootfs     build/rootfs: a busybox-static root file system
#                   (scripts/make-rootfs.sh; apt-get download, no install)
#   make compare    VMs vs containers: start-up time and memory, measured
#                   (mvm compare; table on stdout, CSV in build/compare.csv)
#
# The runtime itself is in libminivmm/src/container/ (container.h); its
# tests are tests/ctr/test_*.c and the Lab 5 grader in
# labs/lab5-containers/tests/. They need root and build/rootfs and skip,
# saying why, without them.

# Not under $(BUILD): the sanitizer build (build/san) uses the same one.
ROOTFS := build/rootfs
ROOTFS_STAMP := $(ROOTFS)/bin/busybox

# 0700: containers write into it as root (without --overlay), and a
# set-user-ID file they leave there must not be runnable by other users.
$(ROOTFS_STAMP): scripts/make-rootfs.sh
	@$(if $(Q),echo "  ROOTFS  $(ROOTFS)")
	$(Q)scripts/make-rootfs.sh $(ROOTFS)
	$(Q)chmod 700 $(ROOTFS)

.PHONY: rootfs rootfs-if-possible compare
rootfs: $(ROOTFS_STAMP)

# `make test` tries to build the rootfs but does not fail without network:
# the container tests then skip and say so.
rootfs-if-possible:
	$(Q)$(MAKE) --no-print-directory rootfs || \
		echo "ctr: no rootfs (see above); container tests will skip"

# tests/ctr programs link Lab 5's container harness and run its escape
# probe (labs/lab5-containers/). A handout of an earlier lab has no Lab 5
# directory (and the runtime there is Lab 5's stubs anyway), so there the
# container tests are not built and `make test` still builds.
CTR_HAVE_LAB5 := $(wildcard labs/lab5-containers/tests/ctr_harness.c)
CTR_TEST_SRCS := $(if $(CTR_HAVE_LAB5),$(sort $(wildcard tests/ctr/test_*.c)))
CTR_TEST_BINS := $(CTR_TEST_SRCS:%.c=$(BUILD)/%)
TEST_BINS += $(CTR_TEST_BINS)

test: rootfs-if-possible

.PHONY: ctr-test
ctr-test: $(CTR_TEST_BINS) rootfs
	$(Q)scripts/run-tests.sh $(CTR_TEST_BINS)

compare: $(BUILD)/mvm rootfs
	$(Q)$(BUILD)/mvm compare --rootfs $(ROOTFS) --csv $(BUILD)/compare.csv

# tests/ctr programs link the Lab 5 harness (run a script in a container).
# The library by path, not $(LIB_A): this fragment is read before
# libminivmm/build.mk defines it, and an empty prerequisite would leave
# the tests linked against an old library.
CTR_HARNESS_OBJ := $(BUILD)/labs/lab5-containers/tests/ctr_harness.o
$(CTR_TEST_BINS): $(BUILD)/tests/ctr/%: $(BUILD)/tests/ctr/%.o \
		$(CTR_HARNESS_OBJ) $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $< $(CTR_HARNESS_OBJ) \
		$(BUILD)/libminivmm.a -lcmocka $(LIB_LIBS)

# test_ctr_escape runs the Lab 5 escape probe (labs/lab5-containers/
# lab.mk builds it; named by path, as that fragment is read after this).
ifneq ($(CTR_HAVE_LAB5),)
$(BUILD)/tests/ctr/test_ctr_escape: $(BUILD)/labs/lab5-containers/escape-probe \
	$(BUILD)/labs/lab5-containers/syscall-probe
endif

# The Lab 5 grader's tests are the runtime's escape and limit tests;
# labs/lab5-containers/lab.mk adds them to `make test` as well.
