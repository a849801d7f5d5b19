# Lab 4 (virtio): its guests.
#
#   build/labs/lab4-virtio/guests/lab4-<name>.elf   64-bit guests with
#                               the runtime's virtio driver (examples/
#                               runtime/virtio.c, whose negotiate() is
#                               task 5, and virtio_pci.c)
#
# The measurement task runs the bench's guest, build/examples/
# disk-bench.elf. GUEST64_PROGRAM comes from examples/build.mk (read
# before this file).

LAB4_DIR := labs/lab4-virtio
LAB4_OUT := $(BUILD)/$(LAB4_DIR)
LAB4_GUESTS := blk badring
LAB4_GUEST_ELFS := $(LAB4_GUESTS:%=$(LAB4_OUT)/guests/lab4-%.elf)
$(foreach g,$(LAB4_GUESTS),$(eval $(call GUEST64_PROGRAM,\
	$(LAB4_OUT)/guests/lab4-$(g).elf,$(LAB4_DIR)/guests/lab4-$(g).c \
	examples/runtime/virtio.c examples/runtime/virtio_pci.c \
	examples/runtime/pci.c)))

LAB_DEPS_4 := $(LAB4_GUEST_ELFS) $(BUILD)/examples/disk-bench.elf
