# Tests (cmocka). Each tests/unit/test_*.c and tests/kvm/test_*.c is one
# program. Unit tests need no /dev/kvm; KVM tests skip, loudly, without it.
# tests/common/ holds the shared fixture (VM + vCPU + captured output).

TEST_COMMON_SRCS := $(sort $(wildcard tests/common/*.c))
TEST_COMMON_OBJS := $(TEST_COMMON_SRCS:%.c=$(BUILD)/%.o)
UNIT_TEST_SRCS := $(sort $(wildcard tests/unit/test_*.c))
KVM_TEST_SRCS := $(sort $(wildcard tests/kvm/test_*.c))
UNIT_TEST_BINS := $(UNIT_TEST_SRCS:%.c=$(BUILD)/%)
KVM_TEST_BINS := $(KVM_TEST_SRCS:%.c=$(BUILD)/%)
TEST_BINS += $(UNIT_TEST_BINS) $(KVM_TEST_BINS)

# Tests find guest images and the repository through these.
TEST_CFLAGS := -Itests/common \
	-DMVM_GUEST_DIR=\"$(abspath $(BUILD)/examples)\" \
	-DMVM_SRC_DIR=\"$(abspath .)\" -DMVM_BUILD_DIR=\"$(abspath $(BUILD))\"

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(HOST_CFLAGS) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_COMMON_OBJS) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $< $(TEST_COMMON_OBJS) $(LIB_A) \
		-lcmocka $(LIB_LIBS) $(TEST_EXTRA_LIBS)

.PHONY: unit-test kvm-test
unit-test: $(UNIT_TEST_BINS)
	$(Q)scripts/run-tests.sh $(UNIT_TEST_BINS)
kvm-test: build-all $(KVM_TEST_BINS)
	$(Q)scripts/run-tests.sh $(KVM_TEST_BINS)
include tests/fuzz/build.mk
