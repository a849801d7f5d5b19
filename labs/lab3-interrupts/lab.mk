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
