# slides: the lecture decks (slides/en, slides/zh) -> build/slides/.
# Not part of `make all`/`make test`: it needs a browser and Node.js.
#
#   make slides         install what the build needs, then HTML + PDF of every
#                       deck in both languages, and build/slides/index.html
#   make slides-check   only expand includes/diagrams/runs and check links and
#                       the en/zh structure (no browser; seconds)
#
# slides/tools/build.mjs explains the directives the decks use. Terminal
# output on the slides comes from running the real debugger on the real
# example guests (<!-- run: ... -->), so the build needs a usable /dev/kvm,
# like the rest of the course (`build/mvm doctor` says what is missing).

SLIDES_MARP := slides/node_modules/.bin/marp
# Programs and guests whose real output appears on slides.
SLIDES_RUN_DEPS := build/mvmdbg build/examples/hello-real.bin \
	build/examples/hello-long.elf build/examples/exit-tour.elf \
	build/mvm build/examples/sensitive.elf

.PHONY: slides slides-check slides-deps
slides-deps:
	$(Q)scripts/install-deps.sh
	$(Q)slides/install-deps.sh

$(SLIDES_MARP): slides/package.json slides/package-lock.json
	$(Q)cd slides && npm ci --no-audit --no-fund --loglevel=error
	$(Q)touch $@

ifeq ($(SANITIZE),1)
slides slides-check:
	$(error the slides run the normal build's tools; use make slides without SANITIZE=1)
else
# A sub-make, so nothing is compiled before the packages are installed.
slides: slides-deps
	$(Q)$(MAKE) --no-print-directory $(SLIDES_RUN_DEPS) $(SLIDES_MARP)
	$(Q)node slides/tools/build.mjs

slides-check: $(SLIDES_RUN_DEPS)
	$(Q)node slides/tools/build.mjs --check
endif

# Re-measure the plots' figures on this machine (slides/data/*.csv, each
# labelled with the machine it was measured on); `make slides` draws them.
.PHONY: slides-data
slides-data: $(BUILD)/mvm $(BUILD)/bench/bench_irq $(BUILD)/examples/irq-latency.elf $(BUILD)/bench/bench_disk $(BUILD)/examples/disk-bench.elf $(LAB1_MEASURE) $(LAB1_GUEST_ELFS) $(BUILD)/examples/cpl-compute.elf $(ROOTFS_STAMP)
	$(Q)scripts/slides-data.sh
