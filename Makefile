# spoolsweep — build, demo, test, install.
#   make demo       install what is missing (libpcre2-dev, zlib1g-dev, libzip-dev, libzstd-dev) and run suspects + summary on the sample
#   make test       the whole test suite (first unpacks the real Postfix and Exim tools, and chDB, that the tests compare with)
#   make peers      unpack Debian's postfix and exim4 packages into .peers/ (postsuper, postqueue, postcat;
#                   exim, eximstats, exiqgrep; no daemon, nothing installed)
#   make chdb       pip-install chDB (embedded ClickHouse) into .peers/python, for examples/clickhouse/'s test
#   make install    binary, man page and bash/zsh/fish completions under PREFIX (default /usr/local)
#   make screenshots  docs/summary.png, docs/suspects.png, docs/summary-dark.png: the sample's HTML reports in headless Chromium
#   make man        regenerate man/spoolsweep.1 from the command definitions
#   make fuzz       the mutation fuzzer at length: 50,000 mutants of each kind, a new seed each run
#                   (FUZZ_SEED=N to repeat one; make test runs 600 of each, seeded)
#   make bench      bench/run: the benchmark of issue #5 on generated data (summary vs pflogsumm, wc, cat;
#                   spool list --body vs rg; suspects; quarantine), release build in .build-bench,
#                   writes bench/RESULTS.md. `make bench BENCH_ARGS=--quick` for a smoke run.

PREFIX ?= /usr/local
SAMPLE := fixtures/smartermail
SAMPLE_NOW := 2026-11-28T18:00:00
MAN_DATE := 2026-11-29
RELEASE_BIN = $(shell swift build -c release --show-bin-path)/spoolsweep

.PHONY: deps test-deps peers chdb demo build release test fuzz install man bench clean screenshots

deps:
	@if ! pkg-config --exists libpcre2-8 zlib libzip libzstd 2>/dev/null; then \
		echo "Installing libpcre2-dev, zlib1g-dev, libzip-dev and libzstd-dev (patterns, .gz logs, SmarterMail's .log.zip days, .zst logs and events)..."; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq libpcre2-dev zlib1g-dev libzip-dev libzstd-dev pkg-config; \
	fi

# strace: the purge-audit tests kill spoolsweep at each fsync and write through its fault injection.
# groff: the man page is checked for mdoc warnings. chromium: the HTML reports are loaded in it.
test-deps: deps
	@if ! command -v strace >/dev/null || ! command -v groff >/dev/null || ! command -v zstd >/dev/null || ! command -v chromium >/dev/null; then \
		echo "Installing strace, groff-base, zstd and chromium (fault injection; the man page check; .zst events read back by zstd; the HTML reports loaded headless)..."; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq strace groff-base zstd chromium; \
	fi

build: deps
	swift build

release: deps
	swift build -c release

# The sample spool holds two orphaned files on purpose: spoolsweep reports them as findings
# (standard error), which do not make the run fail.
demo: release
	@echo "== spoolsweep suspects $(SAMPLE)"
	@$(RELEASE_BIN) suspects --now $(SAMPLE_NOW) $(SAMPLE)
	@echo
	@echo "== spoolsweep summary --date 2026-11-28 $(SAMPLE)"
	@$(RELEASE_BIN) summary --date 2026-11-28 --top 10 $(SAMPLE)

# The tests run the real postsuper, postqueue and postcat, and the real exim (-bp, -Mf, -Mt, -Mrm)
# and eximstats, on queues and logs in temporary folders: the packages are downloaded and
# unpacked, never installed (installing either would start a mail server; they conflict).
# exim looks up its compiled-in user Debian-exim before anything else: the tests give it one
# through nss_wrapper (LD_PRELOAD with passwd/group files of their own), not a system user.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
peers:
	@if [ ! -x .peers/postfix/usr/sbin/postsuper ]; then \
		echo "Unpacking Debian's postfix package into .peers/postfix (tools only, nothing installed)..."; \
		mkdir -p .peers && cd .peers && rm -f postfix_*.deb && \
		{ apt-get download postfix 2>/dev/null || { $(SUDO) apt-get update -qq && apt-get download postfix; }; } && \
		dpkg -x postfix_*.deb postfix && rm -f postfix_*.deb; \
	fi
	@if [ ! -x .peers/exim/usr/sbin/exim4 ] || [ ! -e .peers/exim/usr/sbin/eximstats ] || [ ! -e .peers/exim/usr/lib/x86_64-linux-gnu/libidn.so.12 -a ! -e /usr/lib/x86_64-linux-gnu/libidn.so.12 ] || [ ! -e .peers/exim/usr/lib/x86_64-linux-gnu/libnss_wrapper.so ]; then \
		echo "Unpacking Debian's exim4-daemon-light, exim4-base, libidn12 and libnss-wrapper into .peers/exim (nothing installed, no daemon)..."; \
		mkdir -p .peers/exim && cd .peers && rm -f exim4-*.deb libidn12_*.deb libnss-wrapper_*.deb && \
		{ apt-get download exim4-daemon-light exim4-base libidn12 libnss-wrapper 2>/dev/null || { $(SUDO) apt-get update -qq && apt-get download exim4-daemon-light exim4-base libidn12 libnss-wrapper; }; } && \
		for deb in exim4-daemon-light_*.deb exim4-base_*.deb libidn12_*.deb libnss-wrapper_*.deb; do dpkg -x $$deb exim || exit 1; done && \
		rm -f exim4-*.deb libidn12_*.deb libnss-wrapper_*.deb; \
	fi

# chDB, the embedded ClickHouse engine, for the test of examples/clickhouse/ (pip, into .peers/python).
chdb:
	@if ! PYTHONPATH=.peers/python python3 -c 'import chdb' 2>/dev/null; then \
		echo "Installing chDB (the embedded ClickHouse engine) into .peers/python, for the ClickHouse example's test..."; \
		python3 -m pip --version >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-pip; }; \
		python3 -m pip install -q --disable-pip-version-check --break-system-packages --target .peers/python chdb; \
	fi

test: test-deps peers chdb
	swift build --build-tests
	swift test

fuzz: deps peers
	swift build --build-tests
	FUZZ_MUTANTS=$${FUZZ_MUTANTS:-50000} FUZZ_SEED=$${FUZZ_SEED:-$$(date +%s)} swift test --skip-build --filter MutationFuzzTests

# The shell completions are generated by the binary itself (ArgumentParser), for bash, zsh and fish.
install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(RELEASE_BIN) $(DESTDIR)$(PREFIX)/bin/spoolsweep
	install -m 0644 man/spoolsweep.1 $(DESTDIR)$(PREFIX)/share/man/man1/spoolsweep.1
	$(RELEASE_BIN) --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/spoolsweep
	$(RELEASE_BIN) --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_spoolsweep
	$(RELEASE_BIN) --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/spoolsweep.fish

# The README's screenshots of the HTML reports (headless Chromium, fixtures/tools/chromium_check.py).
screenshots: build
	@mkdir -p /tmp/spoolsweep-shots
	$$(swift build --show-bin-path)/spoolsweep summary --date 2026-11-28 --format html -o /tmp/spoolsweep-shots/summary.html $(SAMPLE)
	$$(swift build --show-bin-path)/spoolsweep suspects --now $(SAMPLE_NOW) --format html -o /tmp/spoolsweep-shots/suspects.html $(SAMPLE) 2>/dev/null
	python3 fixtures/tools/chromium_check.py /tmp/spoolsweep-shots/summary.html docs/summary.png --width 1100 --height 1500 >/dev/null
	python3 fixtures/tools/chromium_check.py /tmp/spoolsweep-shots/suspects.html docs/suspects.png --width 1100 --height 1500 >/dev/null
	python3 fixtures/tools/chromium_check.py /tmp/spoolsweep-shots/summary.html docs/summary-dark.png --width 1100 --height 900 --dark >/dev/null

man: deps
	swift package plugin --allow-writing-to-package-directory generate-manual --date $(MAN_DATE) >/dev/null
	@# An empty line is no paragraph in mdoc (groff warns): the generator's become .Pp.
	awk '/^$$/ { print ".Pp"; next } { print }' .build/plugins/GenerateManual/outputs/spoolsweep/spoolsweep.1 > man/spoolsweep.1

bench: deps
	bench/run $(BENCH_ARGS)

clean:
	swift package clean
