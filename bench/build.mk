# bench/: what one VM exit costs through the library's run step compared
# with a bare KVM_RUN loop (bench_exit), and what a snapshot costs to
# write and to restore, mapped or copied (bench_snapshot). `make bench`
# builds and runs them.

BENCH_BIN := $(BUILD)/bench/bench_exit
BENCH_SNAP_BIN := $(BUILD)/bench/bench_snapshot

# Built with everything, so they cannot rot; run only by `make bench`.
ALL_TARGETS += $(BENCH_BIN) $(BENCH_SNAP_BIN)

# This fragment is read before libminivmm/build.mk defines LIB_A, and
# prerequisites are expanded when read, so name the library directly.
$(BENCH_BIN): $(BUILD)/bench/bench_exit.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

# Lab 2: dirty-log rounds per GiB and shadow-paging traps against EPT
# (bench_dirty, with the page-table guest); run by `make bench` too.
BENCH_DIRTY_BIN := $(BUILD)/bench/bench_dirty
ALL_TARGETS += $(BENCH_DIRTY_BIN)
$(BUILD)/bench/bench_dirty.o: HOST_CFLAGS += \
	-DMVM_GUEST_DIR=\"$(abspath $(BUILD)/examples)\"
$(BENCH_DIRTY_BIN): $(BUILD)/bench/bench_dirty.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

.PHONY: bench-dirty
bench-dirty: $(BENCH_DIRTY_BIN) $(BUILD)/examples/pt-switch.elf
	$(Q)$(BENCH_DIRTY_BIN)
bench: bench-dirty

$(BENCH_SNAP_BIN): $(BUILD)/bench/bench_snapshot.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

.PHONY: bench
bench: $(BENCH_BIN) $(BENCH_SNAP_BIN)
	$(Q)$(BENCH_BIN)
	$(Q)$(BENCH_SNAP_BIN)
