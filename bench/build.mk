# bench/: figures, not timed tests (`make bench` builds and runs them all;
# `make bench-NAME` runs one). Each prints its numbers next to a baseline
# measured in the same run and names the machine.
#
#   exit      one VM exit through the library's run step vs a bare
#             KVM_RUN loop
#   snapshot  writing and restoring a snapshot, mapped or copied
#   irq       raise-to-handler latency on Lab 3's three paths
#   memvirt   references per 2D walk and model TLB hit rates (Lab 2)
#   dirty     dirty-log scan per GiB, shadow-paging traps vs EPT (Lab 2)
#   disk      the emulated disk vs virtio-blk (mmio, pci; plain, fast)
#   emu       instructions/s: the real-mode interpreter (emu.h) vs KVM
#   migrate   live-migration downtime and total time by dirty rate
#
# A bench is bench/bench_NAME.c plus its name below and the guests it
# runs in BENCH_GUESTS; MVM_GUEST_DIR tells it where they are.

BENCH_NAMES := exit snapshot irq memvirt dirty disk emu migrate
BENCH_GUESTS := irq-latency.elf pt-switch.elf disk-bench.elf loop-real.bin \
	cpl-compute.elf migrate-counter.elf

BENCH_BINS := $(BENCH_NAMES:%=$(BUILD)/bench/bench_%)
BENCH_GUEST_ELFS := $(BENCH_GUESTS:%=$(BUILD)/examples/%)

# Built with everything, so they cannot rot; run only by `make bench`.
ALL_TARGETS += $(BENCH_BINS)

$(BUILD)/bench/%.o: HOST_CFLAGS += \
	-DMVM_GUEST_DIR=\"$(abspath $(BUILD)/examples)\"

# Objects made through the pattern below are kept (not intermediate).
.SECONDARY: $(BENCH_NAMES:%=$(BUILD)/bench/bench_%.o)

# This fragment is read before libminivmm/build.mk defines LIB_A, and
# prerequisites are expanded when read, so name the library directly.
$(BUILD)/bench/bench_%: $(BUILD)/bench/bench_%.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

.PHONY: bench $(BENCH_NAMES:%=bench-%)
$(BENCH_NAMES:%=bench-%): bench-%: $(BUILD)/bench/bench_% $(BENCH_GUEST_ELFS)
	$(Q)$<

# One after the other, never in parallel: each measures the machine.
bench: $(BENCH_BINS) $(BENCH_GUEST_ELFS) $(BUILD)/debugger/bench_step
	$(Q)for b in $(BENCH_BINS) $(BUILD)/debugger/bench_step; do \
		$$b || exit 1; \
	done

# The live-migration plot: pages per round at three dirty rates, from the
# checked-in CSVs (bench/migrate-runs.sh makes them; bench/migrate.gp).
MIGRATE_PLOT := $(BUILD)/bench/migrate-rounds.svg
ALL_TARGETS += $(MIGRATE_PLOT)
$(MIGRATE_PLOT): bench/migrate.gp $(wildcard bench/migrate/*.csv)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GNUPLOT $@")
	$(Q)gnuplot -e "dir='bench/migrate'; out='$@'" bench/migrate.gp
