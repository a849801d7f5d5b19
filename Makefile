# minivmm - top-level Makefile (GNU Make).
#
#   make                 library (static + shared), mvm, examples, tools
#   make test            unit tests + KVM tests (KVM tests skip without /dev/kvm)
#   make demo            the debugger on the exit-tour guest
#   make bench           cost of one exit through the run step vs bare KVM_RUN
#   make SANITIZE=1 ...  the same with ASan + UBSan (objects in build/san)
#   make fuzz            libFuzzer harnesses, FUZZ_SECONDS each (tests/fuzz/)
#   make V=1 ...         show the commands
#   make install PREFIX=/usr/local DESTDIR=
#   make format / format-check
#
# Each part of the tree describes its own sources in a build.mk fragment
# (libminivmm/build.mk, mvm/build.mk, examples/build.mk, tests/build.mk,
# ...); this file holds the shared rules.

CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
AR ?= ar
PREFIX ?= /usr/local
DESTDIR ?=

ifeq ($(V),1)
Q :=
else
Q := @
endif

ifeq ($(SANITIZE),1)
BUILD ?= build/san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	     -fno-sanitize-recover=undefined
else ifeq ($(SANITIZE),thread)
# ThreadSanitizer: `make SANITIZE=thread test` runs the threaded tests
# (TSAN_TESTS below); any data race fails them (halt_on_error).
BUILD ?= build/tsan
SAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
export TSAN_OPTIONS ?= halt_on_error=1 second_deadlock_stack=1
else
BUILD ?= build
SAN_FLAGS :=
endif

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
HOST_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(SAN_FLAGS) -MMD -MP \
	-D_GNU_SOURCE -Ilibminivmm/include
HOST_LDFLAGS := $(SAN_FLAGS) $(LDFLAGS)

# Everything `make` builds; fragments append to these.
ALL_TARGETS :=
TEST_BINS :=
CLEAN_EXTRA :=
# Extra targets `make test` runs after the test programs (e.g. the labs'
# honesty check, labs/build.mk).
TEST_EXTRA :=

.PHONY: all
all: build-all

include $(sort $(wildcard */build.mk))
include mk/linux.mk

.PHONY: build-all
build-all: $(ALL_TARGETS)

# The test programs' objects are kept: make would otherwise delete them
# as intermediate files at the end of every run (a screenful of "rm" at
# the end of a CI log, where the test summary should be).
.SECONDARY: $(TEST_BINS:%=%.o)

# Host objects: build/<path>.o from <path>.c, position-independent so the
# same objects go into the static and the shared library.
$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(HOST_CFLAGS) -fPIC -c $< -o $@

# The tests that run threads (vCPU threads, device threads, pause and
# kicks); under SANITIZE=thread `make test` runs only these.
TSAN_TESTS := tests/kvm/test_machine tests/kvm/test_machine_devs \
	tests/kvm/test_smp tests/kvm/test_irq \
	tests/kvm/test_ioeventfd tests/unit/test_irqline tests/unit/test_dirty \
	tests/kvm/test_memory tests/kvm/test_ticks tests/unit/test_pic \
	tests/kvm/test_gdbproto tests/kvm/test_apic
TSAN_TESTS += tests/kvm/test_virtio tests/unit/test_virtio_devs
TSAN_TESTS += tests/kvm/test_virtio_pci tests/unit/test_virtio_pci
TSAN_TESTS += tests/kvm/test_virtio_msix tests/kvm/test_virtio_echo
TSAN_TESTS += tests/kvm/test_migrate tests/kvm/test_snapshot_virtio
TSAN_TESTS += tests/kvm/test_migrate_cli
ifeq ($(SANITIZE),thread)
TEST_BINS := $(addprefix $(BUILD)/,$(TSAN_TESTS))
TEST_EXTRA :=
endif

.PHONY: test
test: build-all $(TEST_BINS)
	$(Q)scripts/run-tests.sh $(TEST_BINS)
	$(Q)$(foreach t,$(TEST_EXTRA),$(MAKE) --no-print-directory $(t) && ) true

.PHONY: format format-check
FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	$(Q)clang-format -i $(FORMAT_FILES)
format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_FILES) && \
		echo "format-check: $(words $(FORMAT_FILES)) files OK"

.PHONY: deps
deps:
	$(Q)scripts/install-deps.sh

.PHONY: clean
clean:
	rm -rf build $(CLEAN_EXTRA)

# (build/linux holds a kernel tree of its own: mk/linux.mk)
-include $(shell find $(BUILD) -path build/linux -prune -o -name '*.d' \
	-print 2>/dev/null)
