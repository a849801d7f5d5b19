# slides: the lecture decks (slides/en, slides/zh) -> build/slides/.
# Not part of `make all`/`make test`: it needs a browser and Node.js.
#
#   make slides         install what the build needs, then HTML + PDF of every
#                       deck in both languages, and build/slides/index.html
#   make slides-check   only expand includes/diagrams/runs and check links and
#                       the en/zh structure (no browser; seconds)
#
# slides/tools/build.mjs explains the directives the decks use.

SLIDES_NODE := slides/node_modules/.bin/marp
# Programs whose real output appears on slides (<!-- run: ... -->).
SLIDES_RUN_DEPS :=

.PHONY: slides slides-check slides-deps
slides-deps:
	$(Q)slides/install-deps.sh

$(SLIDES_NODE): slides/package.json slides/package-lock.json | slides-deps
	$(Q)cd slides && npm ci --no-audit --no-fund --loglevel=error
	$(Q)touch $@

slides: slides-deps $(SLIDES_NODE) $(SLIDES_RUN_DEPS)
	$(Q)BUILD=$(BUILD) node slides/tools/build.mjs

slides-check: $(SLIDES_RUN_DEPS)
	$(Q)BUILD=$(BUILD) node slides/tools/build.mjs --check
