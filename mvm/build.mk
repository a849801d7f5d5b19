# mvm: the command-line program. One file per subcommand (see
# mvm/commands.h); add yours to MVM_SRCS and to the table in mvm/main.c,
# and any extra libraries it needs to MVM_LIBS.

MVM_SRCS := \
	mvm/main.c \
	mvm/cli.c \
	mvm/cmd_run.c \
	mvm/run_irq.c \
	mvm/run_opts.c \
	mvm/run_report.c \
	mvm/run_smp.c \
	mvm/run_emulate.c \
	mvm/run_linux.c \
	mvm/console.c \
	mvm/cmd_doctor.c \
	mvm/cmd_ctr.c \
	mvm/cmd_compare.c \
	mvm/snapshot_cli.c \
	mvm/walk_cli.c \
	mvm/cmd_restore.c \
	mvm/migrate_cli.c \
	mvm/migrate_report.c \
	mvm/migrate_target.c

MVM_LIBS :=
# The program is build/mvm, so its objects cannot live in build/mvm/:
# they go to build/mvm.objs/ instead.
MVM_OBJS := $(MVM_SRCS:mvm/%.c=$(BUILD)/mvm.objs/%.o)
MVM_BIN := $(BUILD)/mvm

ALL_TARGETS += $(MVM_BIN)

$(BUILD)/mvm.objs/%.o: mvm/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(HOST_CFLAGS) -c $< -o $@

$(MVM_BIN): $(MVM_OBJS) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $(MVM_OBJS) $(LIB_A) $(LIB_LIBS) \
		$(MVM_LIBS)

# The console's key parser is a pure function, unit-tested without a
# terminal (tests/unit/test_console_keys.c): that test links console.o,
# then the library again for the symbols console.o needs.
$(BUILD)/tests/unit/test_console_keys.o: HOST_CFLAGS += -Imvm
$(BUILD)/tests/unit/test_console_keys: $(BUILD)/mvm.objs/console.o
$(BUILD)/tests/unit/test_console_keys: TEST_EXTRA_LIBS += \
	$(BUILD)/mvm.objs/console.o $(LIB_A) $(LIB_LIBS)
