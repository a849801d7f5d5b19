# The final project (live migration): its graded tests run the library's
# own migration witness, examples/migrate-counter.c; nothing else is
# built here.
LAB_DEPS_6 := $(BUILD)/examples/migrate-counter.elf
