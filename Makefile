# 营商通办 — two commands do all the set-up on a fresh machine:
#   make run    virtualenv, Python packages, npm assets, demo database on SQLite, web app on :5000
#   make test   the same set-up plus Chromium and PostgreSQL, then ruff and the whole test suite

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run worker test lint install assets translations chromium postgres bench clean

$(VENV)/.installed: setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

web/static/vendor/.copied: node_modules/.installed web/assets.py $(VENV)/.installed
	$(PY) -m web.assets
	touch $@

# The UI catalogues (web/translations/*/LC_MESSAGES/messages.po) are compiled at set-up time.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard web/translations/*/LC_MESSAGES/messages.po))
web/translations/%/LC_MESSAGES/messages.mo: web/translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(VENV)/bin/pybabel -q compile -d web/translations -l $*

install: $(VENV)/.installed
assets: web/static/vendor/.copied
translations: $(MO_FILES)

# Browser tests drive Debian's Chromium; install it when it is missing.
# A CJK font too, so that screenshots show the Chinese UI rather than empty boxes.
chromium:
	@{ command -v chromium && fc-list :lang=zh | grep -q .; } >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium and a Chinese font"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei) >/dev/null; }
	@command -v chromium >/dev/null 2>&1

# The PostgreSQL run is never skipped: start the local server when it is down.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  echo "starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }
	@pg_isready -h 127.0.0.1 -p 5432

lint: install
	$(VENV)/bin/ruff check .

run: install assets translations
	$(VENV)/bin/ysflow demo
	@echo "营商通办 running at http://$(HOST):$(PORT)  (demo password: demo12345)"
	RUN_WORKER=1 $(VENV)/bin/flask --app web:create_app run --host $(HOST) --port $(PORT)

# The timer worker on its own (BPMN timers, reminders, e-mail); run several against PostgreSQL.
worker: install
	$(VENV)/bin/ysflow worker

test: install assets translations chromium postgres lint
	$(PY) -m pytest -q -p no:cacheprovider

bench: install postgres
	$(PY) benchmarks/engine_throughput.py

clean:
	rm -rf $(VENV) node_modules web/static/vendor instance
