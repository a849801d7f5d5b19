# bench/: what one VM exit costs through the library's run step compared
# with a bare KVM_RUN loop (bench_exit), what a snapshot costs to write
# and to restore, mapped or copied (bench_snapshot), and how long an
# interrupt takes to reach the guest on Lab 3's three paths (bench_irq),
# and how many instructions per second the real-mode interpreter and KVM
# run (bench_emu). `make bench`
# builds and runs them.

BENCH_BIN := $(BUILD)/bench/bench_exit
BENCH_SNAP_BIN := $(BUILD)/bench/bench_snapshot
BENCH_IRQ_BIN := $(BUILD)/bench/bench_irq
BENCH_EMU_BIN := $(BUILD)/bench/bench_emu

# Built with everything, so they cannot rot; run only by `make bench`.
ALL_TARGETS += $(BENCH_BIN) $(BENCH_SNAP_BIN) $(BENCH_IRQ_BIN) $(BENCH_EMU_BIN)

# This fragment is read before libminivmm/build.mk defines LIB_A, and
# prerequisites are expanded when read, so name the library directly.
$(BENCH_BIN): $(BUILD)/bench/bench_exit.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

$(BENCH_SNAP_BIN): $(BUILD)/bench/bench_snapshot.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

# The guest image it runs (examples/irq-latency.c).
$(BUILD)/bench/bench_irq.o: HOST_CFLAGS += \
	-DMVM_GUEST_DIR=\"$(abspath $(BUILD)/examples)\"

$(BENCH_IRQ_BIN): $(BUILD)/bench/bench_irq.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

# bench_emu: instructions/s of the real-mode interpreter (emu.h) and KVM.
$(BENCH_EMU_BIN): $(BUILD)/bench/bench_emu.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

.PHONY: bench
bench: $(BENCH_BIN) $(BENCH_SNAP_BIN) $(BENCH_IRQ_BIN) $(BUILD)/examples/irq-latency.elf \
		$(BENCH_EMU_BIN) $(BUILD)/examples/loop-real.bin \
		$(BUILD)/examples/cpl-compute.elf
	$(Q)$(BENCH_BIN)
	$(Q)$(BENCH_SNAP_BIN)
	$(Q)$(BENCH_IRQ_BIN)
	$(Q)$(BENCH_EMU_BIN) $(BUILD)/examples
