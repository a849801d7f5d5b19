# bench/: what one VM exit costs through the library's run step compared
# with a bare KVM_RUN loop. `make bench` builds and runs it.

BENCH_BIN := $(BUILD)/bench/bench_exit

# Built with everything, so it cannot rot; run only by `make bench`.
ALL_TARGETS += $(BENCH_BIN)

# This fragment is read before libminivmm/build.mk defines LIB_A, and
# prerequisites are expanded when read, so name the library directly.
$(BENCH_BIN): $(BUILD)/bench/bench_exit.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

.PHONY: bench
bench: $(BENCH_BIN)
	$(Q)$(BENCH_BIN)
