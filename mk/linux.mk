# mk/linux.mk - booting Linux: the teaching kernel, its root file systems
# and the boot tests (included by the top Makefile).
#
#   make linux        build/linux/{bzImage,vmlinux} from Debian's
#                     linux-source-6.1 (tinyconfig + scripts/linux/
#                     teaching.config); rebuilt only when the config, the
#                     build script or the source package changes
#   make initramfs    build/linux/initramfs.cpio: busybox-static + /init
#   make disk         build/linux/disk.ext2: the same as an ext2 image
#   make test-linux   boot them (tests/linux/); `make test` runs this
#                     once build/linux/bzImage exists
#   make bench-linux  boot them on mvm, QEMU/KVM and QEMU/TCG, time each
#                     milestone (bench/bench_linux.c; a few minutes here,
#                     never part of `make test`), and write
#                     slides/data/linux-{boot,exits}.csv for deck 4
#
# LINUX_JOBS (default 2) is the kernel build's -j; MVM_LINUX_CACHE=DIR
# keeps built kernels in DIR across clean trees (scripts/linux/
# build-kernel.sh).

LINUX_DIR := build/linux
LINUX_JOBS ?= 2
LINUX_BZIMAGE := $(LINUX_DIR)/bzImage
LINUX_INITRAMFS := $(LINUX_DIR)/initramfs.cpio
LINUX_DISK := $(LINUX_DIR)/disk.ext2
LINUX_TEST_BINS := $(BUILD)/tests/linux/test_linux_boot
.SECONDARY: $(LINUX_TEST_BINS:%=%.o)

.PHONY: linux initramfs disk test-linux bench-linux
linux:
	$(Q)scripts/linux/build-kernel.sh $(LINUX_DIR) $(LINUX_JOBS)

initramfs: $(LINUX_INITRAMFS)
$(LINUX_INITRAMFS): scripts/linux/init scripts/linux/make-rootfs.sh
	$(Q)scripts/linux/make-rootfs.sh initramfs $@

disk: $(LINUX_DISK)
$(LINUX_DISK): scripts/linux/init scripts/linux/make-rootfs.sh
	$(Q)scripts/linux/make-rootfs.sh disk $@

test-linux: $(MVM_BIN) $(LINUX_TEST_BINS) $(LINUX_INITRAMFS) $(LINUX_DISK)
	$(Q)test -f $(LINUX_BZIMAGE) || { \
		echo "test-linux: no kernel: run 'make linux' first"; exit 1; }
	$(Q)scripts/run-tests.sh $(LINUX_TEST_BINS)

# `make test` boots Linux only where the kernel was built (CI builds it),
# and not again in the sanitizer builds.
ifneq ($(wildcard $(LINUX_BZIMAGE)),)
ifeq ($(SANITIZE),)
TEST_EXTRA += test-linux
endif
endif

# The bench is built with everything (so it cannot rot) and run only here.
LINUX_BENCH := $(BUILD)/bench/bench_linux
ALL_TARGETS += $(LINUX_BENCH)
$(BUILD)/bench/bench_linux.o: HOST_CFLAGS += \
	-DMVM_BUILD_DIR=\"$(abspath $(BUILD))\"
bench-linux: $(MVM_BIN) $(LINUX_BENCH) $(LINUX_INITRAMFS) $(LINUX_DISK)
	$(Q)test -f $(LINUX_BZIMAGE) || { \
		echo "bench-linux: no kernel: run 'make linux' first"; exit 1; }
	$(Q)scripts/apt-install.sh -q bench-linux qemu-system-x86
	$(Q)$(LINUX_BENCH) -o slides/data/linux-boot.csv \
		-x slides/data/linux-exits.csv $(LINUX_DIR)
# Two objects, so its own link rule (bench/build.mk's takes one).
$(LINUX_BENCH): $(BUILD)/bench/bench_linux.o \
		$(BUILD)/bench/bench_linux_report.o $(BUILD)/libminivmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(LIB_LIBS)
