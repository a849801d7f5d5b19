# bench/: what one VM exit costs through the library's run step compared
# with a bare KVM_RUN loop (bench_exit), and what a snapshot costs to
# write and to restore, mapped or copied (bench_snapshot), and Lab 2's
# dirty-log and shadow-paging figures (bench_memory). `make bench`
# builds and runs them.

BENCH_BIN := $(BUILD)/bench/bench_exit
BENCH_SNAP_BIN := $(BUILD)/bench/bench_snapshot
BENCH_MEM_BIN := $(BUILD)/bench/bench_memory

# Built with everything, so they cannot rot; run only by `make bench`.
ALL_TARGETS += $(BENCH_BIN) $(BENCH_SNAP_BIN) $(BENCH_MEM_BIN)

# This fragment is read before libminivmm/build.mk defines LIB_A, and
# prerequisites are expanded when read, so name the library directly.
$(BENCH_BIN): $(BUILD)/bench/bench_exit.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

$(BENCH_SNAP_BIN): $(BUILD)/bench/bench_snapshot.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

# Lab 2's memory figures: dirty-log rounds per GiB, shadow vs EPT.
$(BUILD)/bench/bench_memory.o: HOST_CFLAGS += \
	-DMVM_GUEST_DIR=\"$(abspath $(BUILD)/examples)\"
$(BENCH_MEM_BIN): $(BUILD)/bench/bench_memory.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

.PHONY: bench
bench: $(BENCH_BIN) $(BENCH_SNAP_BIN) $(BENCH_MEM_BIN) \
		$(BUILD)/examples/pt-switch.elf
	$(Q)$(BENCH_BIN)
	$(Q)$(BENCH_SNAP_BIN)
	$(Q)$(BENCH_MEM_BIN)
