# spoolsweep — build, demo, test, install.
#   make demo       install what is missing (libpcre2-dev, zlib1g-dev) and run suspects + summary on the sample
#   make test       the whole test suite
#   make install    binary and man page under PREFIX (default /usr/local)
#   make man        regenerate man/spoolsweep.1 from the command definitions
#   make bench      summary and quarantine throughput on generated data (release build)

PREFIX ?= /usr/local
SAMPLE := fixtures/smartermail
SAMPLE_NOW := 2026-11-28T18:00:00
MAN_DATE := 2026-11-29
RELEASE_BIN = $(shell swift build -c release --show-bin-path)/spoolsweep

.PHONY: deps demo build release test install man bench clean

deps:
	@if ! pkg-config --exists libpcre2-8 zlib 2>/dev/null; then \
		echo "Installing libpcre2-dev and zlib1g-dev (patterns, compressed logs)..."; \
		$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
		$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq libpcre2-dev zlib1g-dev pkg-config; \
	fi

build: deps
	swift build

release: deps
	swift build -c release

# Exit status 2 is expected here: the sample spool holds two orphaned files on purpose, and
# spoolsweep reports them as warnings.
demo: release
	@echo "== spoolsweep suspects $(SAMPLE)"
	@$(RELEASE_BIN) suspects --now $(SAMPLE_NOW) $(SAMPLE) || [ $$? -eq 2 ]
	@echo
	@echo "== spoolsweep summary --date 2026-11-28 $(SAMPLE)"
	@$(RELEASE_BIN) summary --date 2026-11-28 --top 10 $(SAMPLE)

test: deps
	swift build --build-tests
	swift test

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(RELEASE_BIN) $(DESTDIR)$(PREFIX)/bin/spoolsweep
	install -m 0644 man/spoolsweep.1 $(DESTDIR)$(PREFIX)/share/man/man1/spoolsweep.1

man: deps
	swift package plugin --allow-writing-to-package-directory generate-manual --date $(MAN_DATE) >/dev/null
	cp .build/plugins/GenerateManual/outputs/spoolsweep/spoolsweep.1 man/spoolsweep.1

bench: release
	bench/summary-throughput
	bench/quarantine-throughput

clean:
	swift package clean
