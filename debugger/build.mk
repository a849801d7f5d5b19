# mvmdbg: the VM-exit debugger (debugger/README.md).
#
# The objects other than main.o also link into the debugger's own unit
# tests (debugger/tests/test_*.c -> build/debugger/tests/test_*), which
# `make test` runs with the rest.

DBG_SRCS := \
	debugger/text.c \
	debugger/decode.c \
	debugger/cmd.c \
	debugger/regs.c \
	debugger/code.c \
	debugger/ptpane.c \
	debugger/walk2d.c \
	debugger/mem.c \
	debugger/exitlog.c \
	debugger/irqpane.c \
	debugger/dbgirq.c \
	debugger/vqpane.c \
	debugger/dbgvirtq.c \
	debugger/explain.c \
	debugger/bp.c \
	debugger/session.c \
	debugger/view.c \
	debugger/step.c \
	debugger/stepframe.c \
	debugger/exec.c \
	debugger/cmds_run.c \
	debugger/cmds_show.c \
	debugger/cmds_edit.c \
	debugger/cmds_gdb.c \
	debugger/gdb.c \
	debugger/json.c \
	debugger/record.c \
	debugger/replay.c \
	debugger/batch.c \
	debugger/layout.c \
	debugger/tui.c

DBG_OBJS := $(DBG_SRCS:%.c=$(BUILD)/%.o)
# debugger/build.mk is included before libminivmm/build.mk (alphabetical
# order), so $(LIB_A) is not yet defined when our prerequisites are
# read; name the archive directly.
DBG_LIB_A := $(BUILD)/libminivmm.a
DBG_BIN := $(BUILD)/mvmdbg
DBG_LIBS := -lncursesw -lreadline -lcapstone

ALL_TARGETS += $(DBG_BIN)

$(DBG_BIN): $(BUILD)/debugger/main.o $(DBG_OBJS) $(DBG_LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS) $(DBG_LIBS)

# `make bench` runs the stepping benchmark (bench/build.mk): the
# debugger's single-step rate against a bare KVM single-step loop, and
# the TUI's redraw cost per step.
DBG_BENCH := $(BUILD)/debugger/bench_step
ALL_TARGETS += $(DBG_BENCH)

$(DBG_BENCH): $(BUILD)/debugger/bench_step.o $(DBG_OBJS) $(DBG_LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS) $(DBG_LIBS)

# Tests: unit tests of the panes and parsers, golden batch transcripts,
# and a tmux-driven test of the real screen. They run the built mvmdbg
# and the example guests, so those come first.
DBG_TEST_SRCS := $(sort $(wildcard debugger/tests/test_*.c))
DBG_TEST_BINS := $(DBG_TEST_SRCS:%.c=$(BUILD)/%)
TEST_BINS += $(DBG_TEST_BINS)

DBG_TEST_CFLAGS = $(TEST_CFLAGS) -Idebugger \
	-DMVMDBG_BIN=\"$(abspath $(DBG_BIN))\" \
	-DMVMDBG_GOLDEN_DIR=\"$(abspath debugger/tests/golden)\"

$(BUILD)/debugger/tests/%.o: debugger/tests/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(HOST_CFLAGS) $(DBG_TEST_CFLAGS) -c $< -o $@

$(BUILD)/debugger/tests/%: $(BUILD)/debugger/tests/%.o $(DBG_OBJS) $(DBG_LIB_A) \
		| $(DBG_BIN)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $< $(DBG_OBJS) $(DBG_LIB_A) -lcmocka \
		$(LIB_LIBS) $(DBG_LIBS)

.PHONY: debugger-test
debugger-test: build-all $(DBG_TEST_BINS)
	$(Q)scripts/run-tests.sh $(DBG_TEST_BINS)

# `make demo`: the debugger on the exit-tour guest. Without a terminal
# (CI, a pipe) it runs a short batch script instead of waiting for keys.
# 4 KiB pages so `pt` shows the full four-level walk in the lecture.
DEMO_IMAGE := $(BUILD)/examples/exit-tour.elf
DEMO_FLAGS := --pages 4k

.PHONY: demo
demo: build-all
	$(Q)if [ -t 0 ] && [ -t 1 ]; then \
		$(DBG_BIN) $(DEMO_FLAGS) $(DEMO_IMAGE); \
	else \
		echo "make demo: no terminal; showing a batch run instead"; \
		printf 'nexit 4\nregs\ncode\npt\nexits\n' | \
			$(DBG_BIN) $(DEMO_FLAGS) --batch - $(DEMO_IMAGE); \
	fi
