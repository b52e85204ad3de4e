# Porchlight. A new user needs two commands: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The scaled pass of the tests: real PostgreSQL and Redis (trust auth on our machines).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/porchlight
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test test-embedded test-scaled lint schema clean chromium npm gettext messages catalogues screenshots bench bench-history bench-tap bench-load

# A venv made by a too-old Python (Django 6.1 needs >= 3.12) is made again.
$(VENV)/.python:
	@python=$$(.ci/find-python) || exit 1; \
	if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "$(VENV) was made by Python < 3.12: making it again"; rm -rf $(VENV); fi; \
	[ -x $(PY) ] || $$python -m venv $(VENV); \
	$(PY) -m pip install --quiet --upgrade pip; \
	touch $@

$(VENV)/.installed: $(VENV)/.python requirements.txt
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# $(call debian_package,command,package,what for): Debian's package when the command is
# missing, installed as root; otherwise how to install it, and a failure.
define debian_package
	@command -v $(1) >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian's $(2) for $(3)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2); \
		else \
			echo "$(3) need $(2): sudo apt-get install $(2)" >&2; exit 1; \
		fi; }
endef

# The translations: the .po catalogues are committed (config/locale), their compiled .mo
# files are made here by Django's compilemessages with GNU gettext's msgfmt, from Debian
# when the machine has none. `make messages` after changing a .po file.
MO := $(patsubst %.po,%.mo,$(wildcard config/locale/*/LC_MESSAGES/*.po))
gettext:
	$(call debian_package,msgfmt,gettext,the translations)

messages: $(MO)
$(MO): %.mo: %.po | $(VENV)/.installed gettext
	$(PY) manage.py compilemessages $(I18N_IGNORE)

# After changing words in the code: the catalogues again (then translate the new entries;
# tests/test_i18n.py fails while one is untranslated).
I18N_IGNORE := --ignore=.venv --ignore=node_modules --ignore=var --ignore=tests --ignore=bench
catalogues: $(VENV)/.installed gettext
	$(PY) manage.py makemessages --locale zh_Hans --domain django --no-location $(I18N_IGNORE)
	$(PY) manage.py makemessages --locale zh_Hans --domain djangojs --no-location $(I18N_IGNORE)

run: $(VENV)/.installed messages
	$(PY) manage.py migrate --noinput
	@echo "Porchlight on http://127.0.0.1:$(PORT)/ (SQLite + in-memory channel layer)"
	$(PY) -m uvicorn config.asgi:application --host 127.0.0.1 --port $(PORT) --no-access-log \
		--no-proxy-headers --ws-per-message-deflate false --ws-max-size 4096

test: lint test-embedded test-scaled

# The embedded default: SQLite, in-memory channel layer.
test-embedded: $(VENV)/.installed-dev messages
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest -m "not scaled"

# Browser tests drive Debian's chromium (Playwright's own browser download cannot work here),
# with a Chinese font so that the zh-hans pages render as a phone shows them.
CHROMIUM := /usr/bin/chromium
chromium:
	@{ [ -x $(CHROMIUM) ] && fc-list :lang=zh | grep -q .; } || { \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian's chromium and a Chinese font for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei; \
		else \
			echo "Browser tests need Debian's chromium and fonts-wqy-zenhei: sudo apt-get install chromium fonts-wqy-zenhei" >&2; \
			[ "$$CI" != "true" ] || exit 1; \
		fi; }

# The browser tests check every page with axe-core (package.json, pinned in
# package-lock.json), installed with Debian's npm when the machine has none.
npm:
	$(call debian_package,npm,npm,the browser tests' axe-core)

node_modules/.installed: package.json package-lock.json | npm
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The same suite again on PostgreSQL + Redis, plus the tests that only make sense there
# (real servers, faults, row-lock concurrency, two phones in Chromium). In CI a missing
# service fails the run.
test-scaled: $(VENV)/.installed-dev messages chromium node_modules/.installed
	@if .ci/services check; then \
		DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest; \
	elif [ "$$CI" = "true" ]; then \
		echo "FAILED: PostgreSQL or Redis is not reachable; CI must test against both." >&2; exit 1; \
	else \
		echo "**********************************************************************"; \
		echo "SKIPPED the scaled pass: PostgreSQL ($(TEST_DATABASE_URL)) or Redis"; \
		echo "($(TEST_REDIS_URL)) is not reachable. Start them, or run .ci/run."; \
		echo "**********************************************************************"; \
	fi

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

schema: $(VENV)/.installed
	$(PY) manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml

# Benchmarks: not part of `make test`. They use their own database on the local
# PostgreSQL (BENCH_DATABASE_URL) and write their tables to var/.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/porchlight_bench
bench: bench-history bench-tap bench-load

bench-load: $(VENV)/.installed-dev
	@psql "$(dir $(BENCH_DATABASE_URL))postgres" -qc "CREATE DATABASE $(notdir $(BENCH_DATABASE_URL))" 2>/dev/null || true
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) timeout 2400 $(PY) -m bench.load

bench-history: $(VENV)/.installed-dev
	@psql "$(dir $(BENCH_DATABASE_URL))postgres" -qc "CREATE DATABASE $(notdir $(BENCH_DATABASE_URL))" 2>/dev/null || true
	DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_OUT=var/bench-history.md $(PY) -m bench.history

bench-tap: $(VENV)/.installed-dev
	@psql "$(dir $(BENCH_DATABASE_URL))postgres" -qc "CREATE DATABASE $(notdir $(BENCH_DATABASE_URL))" 2>/dev/null || true
	DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_OUT=var/bench-tap.md $(PY) -m bench.tap

# Screenshots of the main screens at 360 x 640, made by the browser tests.
screenshots: $(VENV)/.installed-dev messages chromium node_modules/.installed
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) PORCHLIGHT_SCREENSHOTS=1 \
		$(PY) -m pytest tests/test_browser.py

clean:
	rm -rf $(VENV) var .pytest_cache node_modules
