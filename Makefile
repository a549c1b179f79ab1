# `make demo` and `make test` work from a fresh clone: they create .venv if it is
# missing and install the package with its dependencies first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# System packages the tests use: Chromium for the browser test and PDF briefs,
# poppler-utils (pdftotext) to check the PDF's text, and an emoji font so the posts
# quoted in a PDF brief show their emoji instead of empty boxes.
SYSTEM_PACKAGES := chromium poppler-utils fonts-noto-color-emoji

.PHONY: setup demo test bench lab system-deps clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/listening demo

# Installs Debian's chromium and poppler-utils when missing and we are root (CI
# is); elsewhere it says what to install and the tests that need them skip.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	fc-list 2>/dev/null | grep -qi "emoji" || missing="$$missing fonts-noto-color-emoji"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "note: install$$missing (e.g. sudo apt-get install$$missing) to run the browser and PDF tests"; \
	  fi; \
	fi

test: setup system-deps
	$(BIN)/python -m pytest

# The whole-pipeline benchmark, then each stage's speed and accuracy scripts
# (accuracy reads the real labelled data in ../shared/data). Results land in
# benchmarks/results.{json,md} and benchmarks/results/.
BENCH_SCRIPTS := sentiment_eval sentiment_speed sentiment_instructions topics_eval topics_speed rules_speed \
                 threats_eval forecast_eval widgets_speed ingest store report responses
bench: setup
	$(BIN)/python benchmarks/run.py
	@for script in $(BENCH_SCRIPTS); do \
	  echo "== benchmarks/$$script.py"; $(BIN)/python benchmarks/$$script.py || exit 1; \
	done

# JupyterLab on 127.0.0.1 with a fresh random token that goes through a file only
# you can read (never the command line, where `ps` shows it); the full URL to open
# is printed (listening/lab.py; --allow-root only when run as root, as in containers).
lab: setup
	$(BIN)/python -m listening.lab --root notebooks

clean:
	rm -rf $(VENV) out data/demo data/listening.duckdb* .pytest_cache
