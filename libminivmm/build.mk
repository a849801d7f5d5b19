# libminivmm: sources in reading order (see include/minivmm/minivmm.h).

# Sources are grouped by the course's areas (README "Layout"): core/ is
# the VM, the run step and the bus; cpu/ modes, the state checker and the
# exit explainers; mem/ page tables; loader/ images; devices/ the device
# models; container/ Lab 5's runtime. internal.h, shared by all of them,
# sits in src/ itself, which is on the include path of library objects.
LIB_SRCS := \
	libminivmm/src/core/log.c \
	libminivmm/src/core/escape.c \
	libminivmm/src/core/kvm.c \
	libminivmm/src/core/quirks.c \
	libminivmm/src/core/hostinfo.c \
	libminivmm/src/core/memory.c \
	libminivmm/src/core/memslot.c \
	libminivmm/src/core/dirty.c \
	libminivmm/src/core/dirty_iter.c \
	libminivmm/src/core/bus.c \
	libminivmm/src/core/vm.c \
	libminivmm/src/core/vcpu.c \
	libminivmm/src/core/kick.c \
	libminivmm/src/core/msr.c \
	libminivmm/src/core/run.c \
	libminivmm/src/core/exit.c \
	libminivmm/src/core/trace.c \
	libminivmm/src/core/stats.c \
	libminivmm/src/core/layout.c

# The machine layer: one machine from one config, threads (machine.h).
LIB_SRCS += \
	libminivmm/src/machine/machine.c \
	libminivmm/src/machine/load.c \
	libminivmm/src/machine/verdict.c \
	libminivmm/src/machine/mthread.c \
	libminivmm/src/machine/devctx.c \
	libminivmm/src/machine/linuxboot.c \
	libminivmm/src/machine/boottime.c

LIB_SRCS += \
	libminivmm/src/cpu/modes.c \
	libminivmm/src/cpu/gdt.c \
	libminivmm/src/cpu/check.c \
	libminivmm/src/cpu/checkseg.c \
	libminivmm/src/cpu/debug.c \
	libminivmm/src/cpu/exitdesc.c \
	libminivmm/src/cpu/exitexplain.c

LIB_SRCS += \
	libminivmm/src/mem/pagetable.c \
	libminivmm/src/mem/ptwalk.c \
	libminivmm/src/mem/ptaccess.c \
	libminivmm/src/mem/ptrange.c \
	libminivmm/src/mem/ept.c \
	libminivmm/src/mem/walk2d.c \
	libminivmm/src/mem/walk2d_fmt.c \
	libminivmm/src/mem/tlb.c

# Lab 2's shadow-paging model and copy-on-write pages (shadow.h, cow.h).
LIB_SRCS += \
	libminivmm/src/mem/shadow.c \
	libminivmm/src/mem/shadow_sync.c \
	libminivmm/src/mem/cow.c

LIB_SRCS += \
	libminivmm/src/loader/loader.c \
	libminivmm/src/loader/elf.c \
	libminivmm/src/loader/bzimage.c \
	libminivmm/src/loader/bootparams.c

LIB_SRCS += \
	libminivmm/src/devices/debugcon.c \
	libminivmm/src/devices/ucall.c \
	libminivmm/src/devices/uart.c \
	libminivmm/src/devices/stddevs.c \
	libminivmm/src/devices/demo.c

# Interrupt lines and KVM's interrupt ioctls (irq.h).
LIB_SRCS += \
	libminivmm/src/irq/kvmirq.c \
	libminivmm/src/irq/line.c \
	libminivmm/src/irq/resample.c \
	libminivmm/src/irq/route.c \
	libminivmm/src/irq/irqview.c

# Full VM state: vCPUs, the VM's in-kernel devices, device blobs (state.h).
LIB_SRCS += \
	libminivmm/src/state/vcpu_state.c \
	libminivmm/src/state/vm_state.c \
	libminivmm/src/state/devstate.c

# Snapshots: the file format, save and restore (snapshot.h).
LIB_SRCS += \
	libminivmm/src/snapshot/crc32.c \
	libminivmm/src/snapshot/read.c \
	libminivmm/src/snapshot/save.c \
	libminivmm/src/snapshot/restore.c \
	libminivmm/src/snapshot/config.c \
	libminivmm/src/snapshot/chain.c \
	libminivmm/src/snapshot/chain_read.c \
	libminivmm/src/snapshot/dirtyset.c

# Live migration: the stream, the source's rounds and ends, the target
# (migrate.h).
LIB_SRCS += \
	libminivmm/src/snapshot/migrate_stream.c \
	libminivmm/src/snapshot/migrate_send.c \
	libminivmm/src/snapshot/migrate_src.c \
	libminivmm/src/snapshot/migrate_recv.c

# Container runtime (container.h; Lab 5).
LIB_SRCS += \
	libminivmm/src/container/util.c \
	libminivmm/src/container/ns.c \
	libminivmm/src/container/rootfs.c \
	libminivmm/src/container/cgroup_detect.c \
	libminivmm/src/container/devices.c \
	libminivmm/src/container/cgroup.c \
	libminivmm/src/container/caps.c \
	libminivmm/src/container/seccomp.c \
	libminivmm/src/container/syscalls.c \
	libminivmm/src/container/net.c \
	libminivmm/src/container/child.c \
	libminivmm/src/container/ctr.c

# The gdb stub: the remote protocol's packets, and gdb driving vCPU 0
# (gdbstub.h).
LIB_SRCS += \
	libminivmm/src/gdb/packet.c \
	libminivmm/src/gdb/conn.c \
	libminivmm/src/gdb/regs.c \
	libminivmm/src/gdb/tdesc.c \
	libminivmm/src/gdb/cmds.c \
	libminivmm/src/gdb/exec.c \
	libminivmm/src/gdb/monitor.c

# Lab 1's devices: CMOS RTC, hypercall port, made-up MSRs (Lab 1).
LIB_SRCS += \
	libminivmm/src/devices/cmos.c \
	libminivmm/src/devices/hypercall.c \
	libminivmm/src/devices/labmsr.c

# Lab 3's user-space interrupt controller and timer: the 8259A pair
# (chip logic, then the path into the vCPU) and the 8254 (pic.h, pit.h).
LIB_SRCS += \
	libminivmm/src/irq/pic.c \
	libminivmm/src/irq/pic_inject.c \
	libminivmm/src/devices/pit.c

# The PCI host bridge: configuration space, mechanism #1, BAR windows,
# INTx (pci.h; Lab 4).
LIB_SRCS += \
	libminivmm/src/pci/config.c \
	libminivmm/src/pci/host.c \
	libminivmm/src/pci/bridge.c

# The register-at-a-time emulated disk, Lab 4's baseline (edisk.h).
LIB_SRCS += libminivmm/src/devices/edisk.c

# virtio: the transport-independent device, the split virtqueue, the
# mmio transport and the devices (virtio.h, virtio_ring.h; Lab 4).
LIB_SRCS += \
	libminivmm/src/virtio/virtio.c \
	libminivmm/src/virtio/ring.c \
	libminivmm/src/virtio/gate.c \
	libminivmm/src/virtio/mmio.c \
	libminivmm/src/virtio/blk.c \
	libminivmm/src/virtio/rng.c \
	libminivmm/src/virtio/console.c \
	libminivmm/src/virtio/balloon.c \
	libminivmm/src/virtio/vmachine.c \
	libminivmm/src/virtio/view.c \
	libminivmm/src/virtio/vopts.c

# virtio-pci: the transport on the PCI host bridge (virtio_pci.h).
LIB_SRCS += \
	libminivmm/src/virtio/pci.c \
	libminivmm/src/virtio/pci_caps.c \
	libminivmm/src/virtio/pci_kick.c \
	libminivmm/src/virtio/pci_msix.c \
	libminivmm/src/virtio/pci_msifd.c

# virtio devices and the PCI bus in snapshots and migration.
LIB_SRCS += \
	libminivmm/src/virtio/virtio_state.c \
	libminivmm/src/pci/pci_state.c

# Full virtualization in software: a real-mode interpreter in place of
# KVM_RUN (emu.h; `mvm run --emulate`).
LIB_SRCS += \
	libminivmm/src/emu/emu.c \
	libminivmm/src/emu/decode.c \
	libminivmm/src/emu/execute.c \
	libminivmm/src/emu/exec_misc.c \
	libminivmm/src/emu/flags.c

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
$(LIB_OBJS): HOST_CFLAGS += -Ilibminivmm/src -fvisibility=hidden
LIB_A := $(BUILD)/libminivmm.a
LIB_SO := $(BUILD)/libminivmm.so
LIB_LIBS := -lrt -lpthread

ALL_TARGETS += $(LIB_A) $(LIB_SO)

$(LIB_A): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIB_SO): $(LIB_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,libminivmm.so.0 $(HOST_LDFLAGS) \
		-o $@ $^ $(LIB_LIBS)

# `make install`: headers, both libraries, pkg-config file, and the two
# programs - mvm and the debugger mvmdbg (named by path: debugger/build.mk
# and mvm/build.mk define them).
.PHONY: install
install: $(LIB_A) $(LIB_SO) $(BUILD)/mvm $(BUILD)/mvmdbg
	install -d $(DESTDIR)$(PREFIX)/include/minivmm $(DESTDIR)$(PREFIX)/lib \
		$(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 libminivmm/include/minivmm/*.h \
		$(DESTDIR)$(PREFIX)/include/minivmm/
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/libminivmm.so.0
	ln -sf libminivmm.so.0 $(DESTDIR)$(PREFIX)/lib/libminivmm.so
	install -m 755 $(BUILD)/mvm $(BUILD)/mvmdbg $(DESTDIR)$(PREFIX)/bin/
	sed -e 's|@PREFIX@|$(PREFIX)|' libminivmm/minivmm.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/minivmm.pc

# The shared library exports the public API only: objects are compiled
# with -fvisibility=hidden and the public headers turn default visibility
# back on around their declarations. `make test` proves it.
.PHONY: check-exports
check-exports: $(LIB_SO)
	$(Q)CC="$(CC)" scripts/check-exports.sh $(LIB_SO) libminivmm/include
TEST_EXTRA += check-exports
