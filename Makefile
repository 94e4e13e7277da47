# ganseg_mm developer entry points. Quick start: `make demo`, `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ganseg-setup-done
SETUP_INPUTS := setup.py tools/setup_env.sh $(wildcard requirements/*.txt)

.PHONY: setup demo demo-full test test-fast bench clean

setup: $(STAMP)  ## build the virtual environment (first run only)

$(STAMP): $(SETUP_INPUTS)
	VENV=$(VENV) bash tools/setup_env.sh
	touch $@

demo: setup  ## all four methods on the embedded demo data, one seed, short trainings (~16 min on 2 cores: docs/demo.md)
	$(PY) tools/run_demo.py

demo-full: setup  ## the same with 3 seeds and full schedules: the README's figures
	$(PY) tools/run_demo.py --full

test: setup  ## the whole test suite (slow end-to-end tests included)
	$(PY) -m pytest tests

test-fast: setup  ## the suite without the end-to-end runs marked slow
	$(PY) -m pytest tests -m "not slow"

bench: setup  ## every benchmark under benchmarks/, ratios from one run
	$(PY) benchmarks/run.py

clean:  ## remove generated data and work dirs (keeps the environment)
	rm -rf work_dirs data/demo_*
