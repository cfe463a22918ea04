# swin-edu: `make lab` opens the course, `make test` runs every test (notebooks included).
# Both create the virtual environment .venv on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
# the Chinese edition, built from locale/zh/*.po by `make zh` (tools/i18n.py)
ZH_NOTEBOOKS := $(sort $(wildcard notebooks/zh/*.ipynb))
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg
# pytest-xdist: one worker per core (`make test PYTEST_PARALLEL=` runs serially); loadscope keeps each test
# module and each notebook on one worker (nbval's cells must run in order in one kernel)
PYTEST_PARALLEL ?= -n auto --dist loadscope

.PHONY: help venv lab test notebooks zh figures slides pages present cheatsheet bench ablation lock clean

help:
	@echo "make lab        open the course in JupyterLab (sets up $(VENV) first if needed);"
	@echo "                server options: make lab LAB_ARGS=\"--no-browser --port 8899\""
	@echo "make test       run the unit tests and every notebook under nbval"
	@echo "make notebooks  re-execute every notebook in place, storing its outputs"
	@echo "make figures    redraw the still pictures in figures/ from swin_edu.viz"
	@echo "make cheatsheet the one-page cheat sheet: build/present/cheatsheet.pdf and .png, and figures/cheatsheet.png"
	@echo "make bench      print the speed benchmarks (forward, training step, explorers)"
	@echo "make zh         build the Chinese edition notebooks/zh/ from locale/zh/*.po and execute it"
	@echo "make ablation   re-run notebook 06's full Table 4 ablation into results/ (about 20 min on 2 cores)"
	@echo "make slides     a reveal.js deck per notebook: build/present/<name>.slides.html (opens offline)"
	@echo "make pages      an HTML page per notebook: build/present/<name>.html (opens offline)"
	@echo "make present    both (about 30 s; tools/present.py)"
	@echo "make lock       re-resolve the newest versions into constraints.txt"

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "swin-edu needs Python >= 3.11, found " + sys.version.split()[0]'
	@echo "==> [1/3] creating the virtual environment $(VENV) with $(PYTHON)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> [2/3] upgrading pip, setuptools and wheel (torch 2.13 needs setuptools >= 77)"
	@$(BIN)/python -m pip install --quiet --upgrade -c constraints.txt pip setuptools wheel
	@echo "==> [3/3] installing swin-edu with torch, JupyterLab and the test tools, pinned by constraints.txt"
	@echo "    (a few minutes on first use; pip lists each package as it goes)"
	$(BIN)/python -m pip install --progress-bar off -c constraints.txt -e ".[lab,test]"
	@touch $(STAMP)
	@echo "==> $(VENV) is ready"

venv: $(STAMP)

# Server options through LAB_ARGS, e.g. make lab LAB_ARGS="--no-browser --port 8899" (or --ip 0.0.0.0)
LAB_ARGS ?=

lab: $(STAMP)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) $(firstword $(NOTEBOOKS) notebooks)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) tests $(NOTEBOOKS) $(ZH_NOTEBOOKS) $(if $(NOTEBOOKS),$(NBVAL))

# Re-execute in place, then give widget models stable ids and join split printouts
# (tools/stabilize_notebooks.py), so that a notebook whose content did not change keeps its bytes.
notebooks: $(STAMP)
	@for nb in $(NOTEBOOKS); do \
		echo "==> executing $$nb"; \
		$(BIN)/jupyter nbconvert --to notebook --execute --inplace --NotebookClient.record_timing=False "$$nb" || exit 1; \
		$(BIN)/python tools/stabilize_notebooks.py "$$nb" || exit 1; \
	done

# The Chinese edition: translate the catalogues (python tools/i18n.py update notebooks/X.ipynb, then edit
# locale/zh/X.po), then build, execute and stabilize notebooks/zh/X.ipynb for every catalogue.
zh: $(STAMP)
	$(BIN)/python tools/i18n.py build
	@for nb in $$(ls notebooks/zh/*.ipynb); do \
		echo "==> executing $$nb"; \
		$(BIN)/jupyter nbconvert --to notebook --execute --inplace --NotebookClient.record_timing=False "$$nb" || exit 1; \
		$(BIN)/python tools/stabilize_notebooks.py "$$nb" || exit 1; \
	done

figures: $(STAMP)
	$(BIN)/python -m swin_edu.viz figures

# the one-page cheat sheet, drawn by swin_edu.cheatsheet from the library's numbers (tests/test_cheatsheet.py)
cheatsheet: $(STAMP)
	$(BIN)/python -m swin_edu.cheatsheet build/present figures/cheatsheet.png

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_swin.py
	$(BIN)/python benchmarks/bench_train.py
	$(BIN)/python benchmarks/bench_explorers.py

# every setting, variant and seed of swin_edu.ablation.SETTINGS, on one thread (repeatable numbers):
# results/ablation.csv and results/ablation.json; tests/test_ablation.py re-runs a slice of it
ablation: $(STAMP)
	$(BIN)/python experiments/ablation.py

# decks and pages from the committed notebooks (no re-execution), with reveal.js and MathJax copied from pip packages
# into build/present/assets/ and every widget replaced by a kernel-free stand-in (tools/present.py)
slides: $(STAMP)
	$(BIN)/python tools/present.py slides

pages: $(STAMP)
	$(BIN)/python tools/present.py pages

present: $(STAMP)
	$(BIN)/python tools/present.py all

lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	.venv-lock/bin/python -m pip install --quiet "torch==2.13.0" -e ".[lab,test]"
	{ head -n 2 constraints.txt; .venv-lock/bin/python -m pip freeze --all --exclude-editable \
		| grep -vi '^swin.edu' | sed 's/^torch==\([0-9.]*\)+cpu$$/torch==\1/'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis swin_edu.egg-info
