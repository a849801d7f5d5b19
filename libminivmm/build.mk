# libminivmm: sources in reading order (see include/minivmm/minivmm.h).

LIB_SRCS := \
	libminivmm/src/log.c \
	libminivmm/src/kvm.c \
	libminivmm/src/memory.c \
	libminivmm/src/bus.c \
	libminivmm/src/vm.c \
	libminivmm/src/vcpu.c \
	libminivmm/src/run.c \
	libminivmm/src/exit.c \
	libminivmm/src/exitdesc.c \
	libminivmm/src/exitexplain.c \
	libminivmm/src/debug.c \
	libminivmm/src/modes.c \
	libminivmm/src/gdt.c \
	libminivmm/src/check.c \
	libminivmm/src/checkseg.c \
	libminivmm/src/pagetable.c \
	libminivmm/src/ptwalk.c \
	libminivmm/src/ptrange.c \
	libminivmm/src/loader.c \
	libminivmm/src/elf.c \
	libminivmm/src/debugcon.c \
	libminivmm/src/ucall.c \
	libminivmm/src/uart.c \
	libminivmm/src/stddevs.c \
	libminivmm/src/trace.c \
	libminivmm/src/stats.c

# Container runtime (container.h; Lab 5).
LIB_SRCS += \
	libminivmm/src/container/util.c \
	libminivmm/src/container/ns.c \
	libminivmm/src/container/rootfs.c \
	libminivmm/src/container/cgroup_detect.c \
	libminivmm/src/container/cgroup.c \
	libminivmm/src/container/caps.c \
	libminivmm/src/container/seccomp.c \
	libminivmm/src/container/net.c \
	libminivmm/src/container/child.c \
	libminivmm/src/container/ctr.c

# Lab 1's devices: CMOS RTC, hypercall port, made-up MSRs (Lab 1).
LIB_SRCS += \
	libminivmm/src/cmos.c \
	libminivmm/src/hypercall.c \
	libminivmm/src/labmsr.c

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB_A := $(BUILD)/libminivmm.a
LIB_SO := $(BUILD)/libminivmm.so
LIB_LIBS := -lrt

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
