# Lab 1 (CPU exits): its guest programs and the measurement tool.
#
#   build/labs/lab1-cpu-exits/guests/<name>.elf   64-bit guests (runtime
#                                                 from examples/runtime)
#   build/labs/lab1-cpu-exits/lab1-measure        the measurement tool
#   build/labs/lab1-cpu-exits/lab1-run            run a guest with Lab 1's
#                                                 devices (--trace: exits)
#
# GUEST64_PROGRAM comes from examples/build.mk (read before this file).

LAB1_DIR := labs/lab1-cpu-exits
LAB1_OUT := $(BUILD)/$(LAB1_DIR)
LAB1_GUESTS := cmos hcall msr measure
LAB1_GUEST_ELFS := $(LAB1_GUESTS:%=$(LAB1_OUT)/guests/lab1-%.elf)
$(foreach g,$(LAB1_GUESTS),$(eval $(call GUEST64_PROGRAM,\
	$(LAB1_OUT)/guests/lab1-$(g).elf,$(LAB1_DIR)/guests/lab1-$(g).c)))

LAB1_MEASURE := $(LAB1_OUT)/lab1-measure
ALL_TARGETS += $(LAB1_MEASURE)
$(LAB1_MEASURE): $(BUILD)/$(LAB1_DIR)/measure.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

LAB1_RUN := $(LAB1_OUT)/lab1-run
ALL_TARGETS += $(LAB1_RUN)
$(LAB1_RUN): $(BUILD)/$(LAB1_DIR)/run.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)

# The grader links task 6's code into its own test, without the tool's
# main(): LAB_OBJS_1 are student objects linked into every Lab 1 test
# program (and checked by labs/common/objcheck.sh before grading).
LAB1_MEASURE_LIB := $(LAB1_OUT)/measure-lib.o
LAB_OBJS_1 := $(LAB1_MEASURE_LIB)
$(LAB1_MEASURE_LIB): $(LAB1_DIR)/measure.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (no main)")
	$(Q)$(CC) $(HOST_CFLAGS) $(LAB_CFLAGS) -Iexamples/runtime \
		-DLAB1_MEASURE_NO_MAIN -c $< -o $@

LAB_DEPS_1 := $(LAB1_GUEST_ELFS) $(LAB1_MEASURE) $(LAB1_RUN) \
	$(BUILD)/examples/cpl-compute.elf
# demo.h (cpl-compute's marker values) lives with the guest runtime.
$(BUILD)/$(LAB1_DIR)/measure.o: LAB_CFLAGS += -Iexamples/runtime
