# bench/: what one VM exit costs through the library's run step compared
# with a bare KVM_RUN loop (bench_exit), what a snapshot costs to write
# and to restore, mapped or copied (bench_snapshot), how long an
# interrupt takes to reach the guest on Lab 3's three paths (bench_irq),
# and what the second dimension of paging costs on the EPT/TLB models
# (bench_memvirt). `make bench`
# builds and runs them.

BENCH_BIN := $(BUILD)/bench/bench_exit
BENCH_SNAP_BIN := $(BUILD)/bench/bench_snapshot
BENCH_IRQ_BIN := $(BUILD)/bench/bench_irq
BENCH_MEM_BIN := $(BUILD)/bench/bench_memvirt

# Built with everything, so they cannot rot; run only by `make bench`.
ALL_TARGETS += $(BENCH_BIN) $(BENCH_SNAP_BIN) $(BENCH_IRQ_BIN) $(BENCH_MEM_BIN)

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

# The guest image it runs (examples/irq-latency.c).
$(BUILD)/bench/bench_irq.o: HOST_CFLAGS += \
	-DMVM_GUEST_DIR=\"$(abspath $(BUILD)/examples)\"

$(BENCH_IRQ_BIN): $(BUILD)/bench/bench_irq.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

$(BENCH_MEM_BIN): $(BUILD)/bench/bench_memvirt.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

.PHONY: bench
bench: $(BENCH_BIN) $(BENCH_SNAP_BIN) $(BENCH_IRQ_BIN) $(BENCH_MEM_BIN) \
		$(BUILD)/examples/irq-latency.elf $(BUILD)/debugger/bench_step
	$(Q)$(BENCH_BIN)
	$(Q)$(BENCH_SNAP_BIN)
	$(Q)$(BENCH_IRQ_BIN)
	$(Q)$(BENCH_MEM_BIN)
	$(Q)$(BUILD)/debugger/bench_step
