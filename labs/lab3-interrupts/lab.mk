# Lab 3 (interrupts and timers): its guests.
#
#   build/labs/lab3-interrupts/guests/lab3-<name>.elf   64-bit guests
#                                        (runtime from examples/runtime)
#
# The tick guest is the example build/examples/ticks.elf. GUEST64_PROGRAM
# comes from examples/build.mk (read before this file).

LAB3_DIR := labs/lab3-interrupts
LAB3_OUT := $(BUILD)/$(LAB3_DIR)
LAB3_GUESTS := window
LAB3_GUEST_ELFS := $(LAB3_GUESTS:%=$(LAB3_OUT)/guests/lab3-%.elf)
$(foreach g,$(LAB3_GUESTS),$(eval $(call GUEST64_PROGRAM,\
	$(LAB3_OUT)/guests/lab3-$(g).elf,$(LAB3_DIR)/guests/lab3-$(g).c)))

LAB_DEPS_3 := $(LAB3_GUEST_ELFS) $(BUILD)/examples/ticks.elf
LAB_DEPS_3 += $(BUILD)/examples/irq-latency.elf

# Task 8's table (measured.c) is student code the grader links into every
# Lab 3 test program (LAB_OBJS_3, checked by labs/common/objcheck.sh).
LAB3_MEASURED := $(LAB3_OUT)/measured.o
LAB_OBJS_3 := $(LAB3_MEASURED)
$(LAB3_MEASURED): $(LAB3_DIR)/measured.c $(LAB3_DIR)/lab3-measured.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(HOST_CFLAGS) $(LAB_CFLAGS) -c $< -o $@
