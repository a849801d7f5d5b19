# bench/: what one VM exit costs through the library's run step compared
# with a bare KVM_RUN loop (bench_exit), what a snapshot costs to write
# and to restore, mapped or copied (bench_snapshot), and how long an
# interrupt takes to reach the guest on Lab 3's three paths (bench_irq),
# and what a live migration costs (bench_migrate). `make bench` builds
# and runs them.

BENCH_BIN := $(BUILD)/bench/bench_exit
BENCH_SNAP_BIN := $(BUILD)/bench/bench_snapshot
BENCH_IRQ_BIN := $(BUILD)/bench/bench_irq
BENCH_MIG_BIN := $(BUILD)/bench/bench_migrate

# Built with everything, so they cannot rot; run only by `make bench`.
ALL_TARGETS += $(BENCH_BIN) $(BENCH_SNAP_BIN) $(BENCH_IRQ_BIN) \
	$(BENCH_MIG_BIN)

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

$(BUILD)/bench/bench_migrate.o: HOST_CFLAGS += \
	-DMVM_GUEST_DIR=\"$(abspath $(BUILD)/examples)\"

$(BENCH_MIG_BIN): $(BUILD)/bench/bench_migrate.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

.PHONY: bench
bench: $(BENCH_BIN) $(BENCH_SNAP_BIN) $(BENCH_IRQ_BIN) $(BUILD)/examples/irq-latency.elf \
		$(BUILD)/debugger/bench_step
	$(Q)$(BENCH_BIN)
	$(Q)$(BENCH_SNAP_BIN)
	$(Q)$(BENCH_IRQ_BIN)
	$(Q)$(BUILD)/debugger/bench_step
	$(Q)$(BENCH_MIG_BIN)

# bench_migrate runs the counter guest.
bench: $(BUILD)/examples/migrate-counter.elf

# The live-migration plot: pages per round at three dirty rates, from the
# checked-in CSVs (bench/migrate-runs.sh makes them; bench/migrate.gp).
MIGRATE_PLOT := $(BUILD)/bench/migrate-rounds.svg
ALL_TARGETS += $(MIGRATE_PLOT)
$(MIGRATE_PLOT): bench/migrate.gp $(wildcard bench/migrate/*.csv)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GNUPLOT $@")
	$(Q)gnuplot -e "dir='bench/migrate'; out='$@'" bench/migrate.gp
