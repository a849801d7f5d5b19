# Lab 5 (containers): the grader's tests run scripts in build/rootfs,
# which ctr/build.mk makes (busybox-static; apt-get download, no install),
# and an escape probe (probe/escape.c) that test_rootfs.c runs inside the
# container. The probe is static: the busybox rootfs has no libc.
LAB5_PROBE := $(BUILD)/labs/lab5-containers/escape-probe
LAB5_SYSPROBE := $(BUILD)/labs/lab5-containers/syscall-probe
LAB_DEPS_5 := rootfs-if-possible $(LAB5_PROBE) $(LAB5_SYSPROBE)

$(LAB5_PROBE): labs/lab5-containers/probe/escape.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (static)")
	$(Q)$(CC) -std=gnu11 $(WARN) -O2 -static -o $@ $<

# The seccomp grader's probe (probe/syscalls.c), static like the other.
$(LAB5_SYSPROBE): labs/lab5-containers/probe/syscalls.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (static)")
	$(Q)$(CC) -std=gnu11 $(WARN) -O2 -static -o $@ $<

# The grader's tests double as the runtime's escape and limit tests, so
# `make test` runs them too (as plain cmocka programs; they skip, saying
# why, without root or a rootfs).
LAB5_TEST_BINS := $(patsubst %.c,$(BUILD)/%,\
	$(sort $(wildcard labs/lab5-containers/tests/test_*.c)))
TEST_BINS += $(LAB5_TEST_BINS)
test: $(LAB5_PROBE) $(LAB5_SYSPROBE) rootfs-if-possible
