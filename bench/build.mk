# bench/: what one VM exit costs through the library's run step compared
# with a bare KVM_RUN loop (bench_exit), and what a snapshot costs to
# write and to restore, mapped or copied (bench_snapshot). `make bench`
# builds and runs them.

BENCH_BIN := $(BUILD)/bench/bench_exit
BENCH_SNAP_BIN := $(BUILD)/bench/bench_snapshot
BENCH_DISK_BIN := $(BUILD)/bench/bench_disk

# Built with everything, so they cannot rot; run only by `make bench`.
ALL_TARGETS += $(BENCH_BIN) $(BENCH_SNAP_BIN) $(BENCH_DISK_BIN)

# This fragment is read before libminivmm/build.mk defines LIB_A, and
# prerequisites are expanded when read, so name the library directly.
$(BENCH_BIN): $(BUILD)/bench/bench_exit.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

$(BENCH_SNAP_BIN): $(BUILD)/bench/bench_snapshot.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

# bench_disk runs examples/disk-bench.elf on the emulated disk and virtio.
$(BENCH_DISK_BIN): $(BUILD)/bench/bench_disk.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)
$(BUILD)/bench/bench_disk.o: HOST_CFLAGS += \
	-DMVM_GUEST_DIR=\"$(abspath $(BUILD)/examples)\"

.PHONY: bench
bench: $(BENCH_BIN) $(BENCH_SNAP_BIN) $(BENCH_DISK_BIN) \
		$(BUILD)/examples/disk-bench.elf
	$(Q)$(BENCH_BIN)
	$(Q)$(BENCH_SNAP_BIN)
	$(Q)$(BENCH_DISK_BIN)
