# labs: the lab system (see labs/README.md).
#
#   make grade [LAB=n] [JSON=results.json]   grade lab n, or every lab
#   make handout LAB=n OUT=dir               cut the student tree for lab n
#   make lab-honesty                         reference full marks; each
#                                            handout builds and scores low
#                                            on its own lab (run by `test`)
#
# Every directory labs/labN-<name>/ is a lab. Its graded tests are
# labs/labN-<name>/tests/test_*.c (one program each, see
# labs/common/grade.h); other .c files in that tests/ directory are
# helpers linked into every test program of the lab. A lab may add a
# labs/labN-<name>/lab.mk for its guests and tools, setting
#   LAB_DEPS_<N>  targets to build before grading lab N (guests, tools)
#   LAB_LIBS_<N>  extra libraries for lab N's test programs
#   LAB_OBJS_<N>  student objects (outside the library) that lab N's
#                 test programs link; objcheck.sh checks them
# This fragment is read before libminivmm/ and tests/ (alphabetical
# order), so prerequisites here name files by path, not by their
# variables.

LAB_DIRS := $(sort $(patsubst %/,%,$(dir $(wildcard labs/lab[0-9]*-*/README.md))))
lab_num = $(patsubst lab%,%,$(firstword $(subst -, ,$(notdir $(1)))))
lab_dir = $(firstword $(filter labs/lab$(1)-%,$(LAB_DIRS)))
LAB_NUMS := $(foreach d,$(LAB_DIRS),$(call lab_num,$(d)))

LAB_CFLAGS = $(TEST_CFLAGS) -Ilabs/common \
	-DMVM_LAB_BUILD_DIR=\"$(abspath $(BUILD)/labs)\"
LAB_GRADE_OBJ := $(BUILD)/labs/common/grade.o
LAB_LINK_OBJS := $(LAB_GRADE_OBJ) \
	$(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard tests/common/*.c))) \
	$(BUILD)/libminivmm.a
GRADER := $(BUILD)/labs/grader
GRADER_OBJS := $(patsubst %.c,$(BUILD)/%.o,labs/common/grader.c \
	labs/common/grader_child.c labs/common/grader_report.c \
	labs/common/grader_where.c)

ALL_TARGETS += $(GRADER)

$(BUILD)/labs/%.o: labs/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(HOST_CFLAGS) $(LAB_CFLAGS) -c $< -o $@

$(GRADER): $(GRADER_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^

# Per-lab rules: LAB_TESTS_<N> (test programs) and how to link them.
define LAB_RULES
LAB_TESTS_$(1) := $(patsubst %.c,$(BUILD)/%,$(sort $(wildcard $(2)/tests/test_*.c)))
LAB_HELPERS_$(1) := $(patsubst %.c,$(BUILD)/%.o,$(filter-out \
	$(2)/tests/test_%.c,$(sort $(wildcard $(2)/tests/*.c))))
LAB_DEPS_$(1) ?=
LAB_LIBS_$(1) ?=
LAB_OBJS_$(1) ?=
$(BUILD)/$(2)/tests/test_%: $(BUILD)/$(2)/tests/test_%.o \
		$$(LAB_HELPERS_$(1)) $$(LAB_OBJS_$(1)) $(LAB_LINK_OBJS)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(HOST_LDFLAGS) -o $$@ $$< $$(LAB_HELPERS_$(1)) \
		$$(LAB_OBJS_$(1)) $(LAB_LINK_OBJS) -lcmocka $$(LIB_LIBS) \
		$$(LAB_LIBS_$(1))
endef
-include $(wildcard labs/lab[0-9]*-*/lab.mk)
$(foreach d,$(LAB_DIRS),$(eval $(call LAB_RULES,$(call lab_num,$(d)),$(d))))

LAB_ALL_TESTS := $(foreach n,$(LAB_NUMS),$(LAB_TESTS_$(n)))
GRADE_LABS := $(if $(LAB),$(LAB),$(LAB_NUMS))

.PHONY: lab-tests grade handout lab-honesty print-test-programs
lab-tests: $(GRADER) $(LAB_ALL_TESTS) $(foreach n,$(LAB_NUMS),$(LAB_DEPS_$(n)))

grade: $(GRADER) $(foreach n,$(GRADE_LABS),$(LAB_TESTS_$(n)) \
		$(LAB_DEPS_$(n)))
	$(Q)$(if $(LAB),$(if $(call lab_dir,$(LAB)),true,\
		echo "make grade: lab $(LAB) does not exist (labs here: $(LAB_NUMS))" >&2; exit 2),\
		$(if $(LAB_NUMS),true,echo "make grade: no labs found" >&2; exit 2))
	$(Q)refuse=; if $(if $(filter 1,$(SANITIZE)),false,true) && \
		! labs/common/objcheck.sh $(BUILD)/libminivmm.a \
		$(foreach n,$(GRADE_LABS),$(LAB_OBJS_$(n))); then \
		refuse="refused by objcheck.sh, see its lines above"; fi; \
	$(GRADER) $(if $(JSON),--json $(JSON)) $${refuse:+--refuse "$$refuse"} \
		$(foreach n,$(GRADE_LABS),--lab $(notdir $(call lab_dir,$(n))) \
		$(LAB_TESTS_$(n)))

# (SANITIZE=1 objects carry the sanitizer's own constructors, so the
# object check runs only in the plain build, the one that grades.)

# Every test program `make test` and `make grade` build (the honesty
# check builds them in each handout: `make test` must build there too).
# In a recipe, so TEST_BINS is complete (later fragments add to it).
print-test-programs:
	@echo $(TEST_BINS) $(LAB_ALL_TESTS)

handout:
	$(Q)if [ -z "$(LAB)" ] || [ -z "$(OUT)" ]; then \
		echo "usage: make handout LAB=n OUT=dir" >&2; exit 2; fi
	$(Q)scripts/make-handout.sh "$(LAB)" "$(OUT)"

# The honesty check is slow-ish (it builds one handout per lab), so it
# runs once, in the plain build; the sanitizer build skips it. The recipe
# does not name $(MAKE) on purpose: make then keeps its jobserver pipe
# away from the script, whose attack test writes forged verdicts to
# every file descriptor it can find.
lab-honesty: $(GRADER)
ifeq ($(SANITIZE),1)
	@echo "lab-honesty: skipped in the SANITIZE=1 build (runs in the plain build)"
else
	$(Q)scripts/lab-honesty.sh $(LAB_NUMS)
endif

# Every region an endless loop: each lab must still grade in under two
# minutes (slow, so not part of `make test`).
.PHONY: lab-hangs
lab-hangs: $(GRADER)
	$(Q)scripts/lab-honesty.sh --hangs $(LAB_NUMS)

ifeq ($(wildcard labs/HANDOUT),)
TEST_EXTRA += lab-honesty
endif

# Unit tests of the lab machinery itself (the cutter, the grader).
LAB_UNIT_SRCS := $(sort $(wildcard labs/common/tests/test_*.c))
LAB_UNIT_BINS := $(LAB_UNIT_SRCS:%.c=$(BUILD)/%)
TEST_BINS += $(LAB_UNIT_BINS)
$(BUILD)/labs/common/tests/test_%: $(BUILD)/labs/common/tests/test_%.o \
		$(LAB_GRADE_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $(filter %.o,$^) -lcmocka

# Keep the test objects (make would delete them as intermediates).
.SECONDARY: $(LAB_ALL_TESTS:%=%.o) $(foreach n,$(LAB_NUMS),$(LAB_HELPERS_$(n)) \
	$(LAB_OBJS_$(n))) \
	$(filter %.o,$(LAB_LINK_OBJS))
# test_grader runs the grader on itself.
$(BUILD)/labs/common/tests/test_grader: $(GRADER)
