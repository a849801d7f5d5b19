# Lab 2 (memory virtualization): its guests and tools.
#
# The walker, EPT, 2D-walk and TLB tasks (tests/test_1..3) run on host
# memory and the fixture's VM and need nothing built here. Guests for
# later tasks add themselves below, as in Lab 3's lab.mk:
#
#   build/labs/lab2-memory/guests/lab2-<name>.elf   64-bit guests

LAB2_DIR := labs/lab2-memory
LAB2_OUT := $(BUILD)/$(LAB2_DIR)
LAB2_GUESTS :=
LAB2_GUEST_ELFS := $(LAB2_GUESTS:%=$(LAB2_OUT)/guests/lab2-%.elf)
$(foreach g,$(LAB2_GUESTS),$(eval $(call GUEST64_PROGRAM,\
	$(LAB2_OUT)/guests/lab2-$(g).elf,$(LAB2_DIR)/guests/lab2-$(g).c)))

# The library's own guests the tests of tasks 7-8 run (examples/).
LAB_DEPS_2 := $(LAB2_GUEST_ELFS) $(BUILD)/examples/touch.elf \
	$(BUILD)/examples/pt-switch.elf
