# examples/: the guest runtime and the example guests.
#
# Guests are built with the host's own gcc/as/ld: no cross compiler is
# needed because the guest is x86 too. What makes them guests is the
# flags below (each one explained) and a linker script that places them
# where the VMM loads them (examples/runtime/guest.lds.S, addresses from
# layout.h).
#
#   build/examples/<name>.bin   flat real-mode binary, at MVM_REAL_LOAD_ADDR
#   build/examples/<name>.elf   32- or 64-bit ELF, at MVM_LOAD_ADDR
#
# Other parts of the tree (the labs) build their guests with the same
# runtime through GUEST64_PROGRAM / GUEST32_PROGRAM below.

GUEST_CC ?= gcc
GUEST_LD ?= ld
EX_OUT := $(BUILD)/examples

# -ffreestanding -nostdlib  no libc, no startup files: crt0.S is ours
# -fno-pic -fno-pie -static the image runs at the address it is linked at
# -fno-stack-protector      no TLS canary: there is no thread pointer
# -fno-builtin              no silent calls to memcpy/memset/strlen
# -mgeneral-regs-only       no SSE/x87: the VMM does not manage the
#                           guest's FPU state, and KVM's instruction
#                           emulator (used for ring-0 code on nested
#                           backends) cannot execute most SSE/x87
# -mno-red-zone             an exception at CPL 0 pushes its frame right
#                           below RSP and would clobber a red zone
# -fcf-protection=none      no ENDBR64 (CET) instructions, which old CPUs
#                           and emulators may not decode
# -fno-asynchronous-unwind-tables  no .eh_frame (discarded anyway)
# -fno-tree-loop-distribute-patterns  keep GCC from turning the loop
#                           inside our own memset() into a call to memset
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -nostdlib -fno-pic -fno-pie -static \
	-fno-stack-protector -fno-builtin -mgeneral-regs-only -mno-red-zone \
	-fcf-protection=none -fno-asynchronous-unwind-tables \
	-fno-tree-loop-distribute-patterns \
	-Ilibminivmm/include -Iexamples/runtime
GUEST64_CFLAGS := -m64 $(GUEST_CFLAGS)
GUEST32_CFLAGS := -m32 $(GUEST_CFLAGS)
# -n: no page alignment of sections in the file (small images);
# max-page-size: 4 KiB segment alignment instead of 2 MiB padding.
GUEST_LDFLAGS := -static -nostdlib -n -z max-page-size=0x1000 \
	--build-id=none
GUEST64_LDFLAGS := -m elf_x86_64 $(GUEST_LDFLAGS)
GUEST32_LDFLAGS := -m elf_i386 $(GUEST_LDFLAGS)

# Linker scripts: guest.lds.S through cpp, then drop the ULL/UL/U
# suffixes of C integer constants, which ld's expressions do not accept.
GUEST64_LDS := $(EX_OUT)/runtime/guest64.lds
GUEST32_LDS := $(EX_OUT)/runtime/guest32.lds
GUEST_REAL_LDS := $(EX_OUT)/runtime/guest-real.lds
$(GUEST64_LDS): LDS_DEFS :=
$(GUEST32_LDS): LDS_DEFS := -DGUEST_32
$(GUEST_REAL_LDS): LDS_DEFS := -DGUEST_REAL
$(EX_OUT)/runtime/%.lds: examples/runtime/guest.lds.S \
		libminivmm/include/minivmm/layout.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LDS     $@")
	$(Q)$(GUEST_CC) -E -P -undef -x c $(LDS_DEFS) -Ilibminivmm/include $< \
		| sed -E 's/\b(0x[0-9a-fA-F]+|[0-9]+)[uUlL]+\b/\1/g' > $@

# Objects: build/guest64/<path>.o and build/guest32/<path>.o from any
# <path>.c or <path>.S in the tree.
$(BUILD)/guest64/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GCC64   $<")
	$(Q)$(GUEST_CC) $(GUEST64_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/guest64/%.o: %.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS64    $<")
	$(Q)$(GUEST_CC) $(GUEST64_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/guest32/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GCC32   $<")
	$(Q)$(GUEST_CC) $(GUEST32_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/guest32/%.o: %.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS32    $<")
	$(Q)$(GUEST_CC) $(GUEST32_CFLAGS) -MMD -MP -c $< -o $@

GUEST_RUNTIME_SRCS := examples/runtime/crt0.S examples/runtime/guest.c
GUEST64_RUNTIME := $(patsubst %,$(BUILD)/guest64/%.o,$(basename \
	$(GUEST_RUNTIME_SRCS)))
GUEST32_RUNTIME := $(patsubst %,$(BUILD)/guest32/%.o,$(basename \
	$(GUEST_RUNTIME_SRCS)))

# $(eval $(call GUEST64_PROGRAM,OUTPUT.elf,SOURCES)) links SOURCES (.c/.S
# paths) with the runtime into a long-mode ELF; GUEST32_PROGRAM likewise
# for 32-bit protected mode. The output is added to ALL_TARGETS.
define GUEST64_PROGRAM
ALL_TARGETS += $(1)
$(1): $(patsubst %,$(BUILD)/guest64/%.o,$(basename $(2))) \
		$(GUEST64_RUNTIME) $(GUEST64_LDS)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  LD64    $$@")
	$$(Q)$$(GUEST_LD) $$(GUEST64_LDFLAGS) -T $$(GUEST64_LDS) -o $$@ \
		$$(GUEST64_RUNTIME) $$(filter-out %.lds $$(GUEST64_RUNTIME),$$^)
endef
define GUEST32_PROGRAM
ALL_TARGETS += $(1)
$(1): $(patsubst %,$(BUILD)/guest32/%.o,$(basename $(2))) \
		$(GUEST32_RUNTIME) $(GUEST32_LDS)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  LD32    $$@")
	$$(Q)$$(GUEST_LD) $$(GUEST32_LDFLAGS) -T $$(GUEST32_LDS) -o $$@ \
		$$(GUEST32_RUNTIME) $$(filter-out %.lds $$(GUEST32_RUNTIME),$$^)
endef
# Flat real-mode binaries: one .S file, no runtime (16-bit code).
define GUEST_REAL_PROGRAM
ALL_TARGETS += $(1)
$(1): $(patsubst %,$(BUILD)/guest32/%.o,$(basename $(2))) $(GUEST_REAL_LDS)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  LD16    $$@")
	$$(Q)$$(GUEST_LD) $$(GUEST32_LDFLAGS) -T $$(GUEST_REAL_LDS) -o $$@ \
		$$(filter %.o,$$^)
endef

# The examples (see examples/README.md).
$(eval $(call GUEST_REAL_PROGRAM,$(EX_OUT)/hello-real.bin,examples/hello-real.S))
$(eval $(call GUEST_REAL_PROGRAM,$(EX_OUT)/loop-real.bin,examples/loop-real.S))
$(eval $(call GUEST32_PROGRAM,$(EX_OUT)/hello-prot.elf,examples/hello-prot.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/hello-long.elf,examples/hello-long.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/pt-switch.elf,examples/pt-switch.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/touch.elf,examples/touch.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/exit-tour.elf,examples/exit-tour.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/triple-fault.elf,examples/triple-fault.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/cpl-compute.elf,examples/cpl-compute.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/ucall-tour.elf,examples/ucall-tour.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/smp-count.elf,examples/smp-count.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/smp-migrate.elf,examples/smp-migrate.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/echo.elf,examples/echo.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/ticks.elf,examples/ticks.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/apic-ticks.elf,examples/apic-ticks.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/irq-latency.elf,examples/irq-latency.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/serial-irq.elf,examples/serial-irq.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/chaos.elf,examples/chaos.c \
	examples/chaos-vectors.S))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/counter.elf,examples/counter.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/pci-enum.elf,examples/pci-enum.c \
	examples/runtime/pci.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/edisk-rw.elf,examples/edisk-rw.c \
	examples/runtime/edisk.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/virtio-pci-blk.elf,\
	examples/virtio-pci-blk.c examples/runtime/virtio.c \
	examples/runtime/virtio_pci.c examples/runtime/pci.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/virtio-pci-irq.elf,\
	examples/virtio-pci-irq.c examples/runtime/virtio.c \
	examples/runtime/virtio_pci.c examples/runtime/pci.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/virtio-pci-msix.elf,\
	examples/virtio-pci-msix.c examples/runtime/virtio.c \
	examples/runtime/virtio_pci.c examples/runtime/virtio_msix.c \
	examples/runtime/pci.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/disk-bench.elf,examples/disk-bench.c \
	examples/runtime/edisk.c examples/runtime/virtio.c \
	examples/runtime/virtio_pci.c examples/runtime/pci.c \
	examples/runtime/virtio_msix.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/virtio-demo.elf,examples/virtio-demo.c \
	examples/runtime/virtio.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/virtio-echo.elf,examples/virtio-echo.c \
	examples/runtime/virtio.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/virtio-balloon.elf,\
	examples/virtio-balloon.c examples/runtime/virtio.c \
	examples/runtime/virtio_pci.c examples/runtime/virtio_balloon.c \
	examples/runtime/pci.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/virtio-irq.elf,examples/virtio-irq.c \
	examples/runtime/virtio.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/sensitive.elf,examples/sensitive.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/sensitive-umip.elf,examples/sensitive-umip.c))
$(eval $(call GUEST64_PROGRAM,$(EX_OUT)/migrate-counter.elf,examples/migrate-counter.c \
	examples/migrate-ring3.c))

.PHONY: examples
examples: $(filter $(EX_OUT)/%,$(ALL_TARGETS))
