# `make fuzz`: libFuzzer harnesses for every parser of untrusted input
# (tests/fuzz/README.md). They are built with clang, whatever CC is,
# into build/fuzz/ (library objects too, instrumented for coverage), so
# this build never mixes with the gcc one.
#
#   make fuzz                    every harness for FUZZ_SECONDS (30) each
#   make fuzz FUZZ_SECONDS=40    longer
#   make fuzz-build              just build them
#   make fuzz-corpus             replay the checked-in corpora only (fast)
#
# Each harness starts from its seed corpus, tests/fuzz/corpus/<name>/; new
# inputs it finds go to build/fuzz/corpus/<name>/ (not checked in). A
# crash stops the run with the input in build/fuzz/crash/.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_OUT := build/fuzz
# -fsanitize=fuzzer-no-link instruments the library for coverage; only
# the harness links libFuzzer's main (-fsanitize=fuzzer).
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
# clang warns about a GNU extension gcc takes quietly (state.h embeds
# struct kvm_xsave, whose flexible array is empty on x86).
FUZZ_CFLAGS := -std=gnu11 -g -O1 $(WARN) -Wno-gnu-variable-sized-type-not-at-end \
	-D_GNU_SOURCE $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link -Ilibminivmm/include -Ilibminivmm/src \
	-Itests/common -Idebugger -MMD -MP

FUZZ_NAMES := loader exit devices ptwalk dbgcmd dbgjson snapshot gdbpkt \
	migstream bzimage virtq
FUZZ_BINS := $(FUZZ_NAMES:%=$(FUZZ_OUT)/fuzz_%)

# The library and the debugger's objects (no main.o, no TUI), rebuilt
# with clang's instrumentation.
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_OUT)/obj/%.o)
FUZZ_DBG_OBJS := $(filter-out %/tui.o %/layout.o, \
	$(DBG_SRCS:%.c=$(FUZZ_OUT)/obj/%.o))
FUZZ_COMMON_OBJS := $(FUZZ_OUT)/obj/tests/common/hostram.o \
	$(FUZZ_OUT)/obj/tests/fuzz/fakevm.o

# Keep the harness objects make would treat as intermediate.
.PRECIOUS: $(FUZZ_OUT)/obj/%.o
$(FUZZ_OUT)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_OUT)/libminivmm.a: $(FUZZ_LIB_OBJS)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# dbg* harnesses link the debugger objects and its libraries.
$(FUZZ_OUT)/fuzz_dbg%: FUZZ_EXTRA = $(FUZZ_OUT)/obj/tests/fuzz/dbgtrace.o \
	$(FUZZ_DBG_OBJS) $(FUZZ_OUT)/libminivmm.a $(DBG_LIBS)
FUZZ_DBG_BINS := $(filter $(FUZZ_OUT)/fuzz_dbg%,$(FUZZ_BINS))
$(FUZZ_DBG_BINS): $(FUZZ_OUT)/obj/tests/fuzz/dbgtrace.o $(FUZZ_DBG_OBJS)

$(FUZZ_OUT)/fuzz_%: $(FUZZ_OUT)/obj/tests/fuzz/fuzz_%.o $(FUZZ_COMMON_OBJS) \
		$(FUZZ_OUT)/libminivmm.a
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_COMMON_OBJS) $(FUZZ_EXTRA) $(FUZZ_OUT)/libminivmm.a \
		$(LIB_LIBS)

.PHONY: fuzz fuzz-build fuzz-corpus
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	$(Q)tests/fuzz/run.sh run $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-corpus: fuzz-build
	$(Q)tests/fuzz/run.sh corpus 0 $(FUZZ_NAMES)

-include $(shell find $(FUZZ_OUT)/obj -name '*.d' 2>/dev/null)
