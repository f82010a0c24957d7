# kaiming-lab: set-up and everyday commands. Everything runs inside .venv,
# which the first command creates from the machine's python3.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8888
# The matrices are small: one BLAS thread is faster than two fighting, and it
# makes every floating-point sum repeat bit for bit between runs.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.PHONY: install lab slides slides-html slides-pdf test test-fast test-newest pins links classroom-load homework explorer notebooks lint format benchmarks site clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files remember which extras are installed; editing pyproject.toml or the
# pins reinstalls. Every install is held to constraints.txt, the versions the
# committed notebook outputs were made with (`make test-newest` tries the newest).
CONSTRAINTS := constraints.txt
PIP_INSTALL = $(BIN)/python -m pip install --quiet -c $(CONSTRAINTS)
# JupyterLab's defaults for the course (no news prompt): lab-settings/README.md
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json

## install: the student environment (kernel packages and the server: JupyterLab, Voila)
install: $(VENV)/.lab

$(VENV)/.lab: pyproject.toml $(CONSTRAINTS) lab-settings/overrides.json | $(BIN)/python
	$(PIP_INSTALL) -e '.[server]'
	mkdir -p $(dir $(LAB_OVERRIDES)) && cp lab-settings/overrides.json $(LAB_OVERRIDES)
	touch $@

## the development tools on top: tests, browser, homework grading
$(VENV)/.test: $(VENV)/.lab
	$(PIP_INSTALL) -e '.[server,test,browser,homework]'
	touch $@

## lab: open the notebooks in JupyterLab on 127.0.0.1 (prints the URL with its token)
lab: $(VENV)/.lab
	@token=$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(16))'); \
	echo; echo "    Open http://127.0.0.1:$(PORT)/lab/tree/00_start_here.ipynb?token=$$token"; echo; \
	$(BIN)/jupyter lab --no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
		--ServerApp.port_retries=0 --IdentityProvider.token=$$token \
		--ServerApp.root_dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

## slides: present the 50-minute lecture deck in JupyterLab (the URL opens it in presentation mode)
# It presents a live copy written by slides/build_live.py: no outputs until a cell runs, and
# the live-coding cells as skeletons (the committed, executed deck is the backup). Presentation
# mode and projector-sized type come from a fresh settings directory copied from
# slides/user-settings, so `make lab` and your own settings stay as they are.
slides: $(VENV)/.lab
	$(BIN)/python slides/build_live.py
	@token=$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(16))'); \
	settings=$$(mktemp -d); cp -R slides/user-settings/. "$$settings/"; \
	echo; echo "    Open http://127.0.0.1:$(PORT)/lab/tree/lecture_50_minutes.ipynb?token=$$token"; \
	echo "    (it opens presenting: click the slide, then arrow keys; Ctrl+Enter runs a cell; Esc stops)"; echo; \
	$(BIN)/jupyter lab --no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
		--ServerApp.port_retries=0 --IdentityProvider.token=$$token \
		--ServerApp.root_dir=build/slides/live/notebooks --LabApp.user_settings_dir="$$settings" \
		--LabApp.workspaces_dir="$$settings/workspaces" \
		$$([ "$$(id -u)" = 0 ] && echo --allow-root)

# npm packages a folder's build copies from (slides/: reveal.js and MathJax for the static
# deck; site/: require.js, the widget manager, MathJax, axe-core), pinned by its package-lock.json
%/node_modules/.stamp: %/package.json %/package-lock.json
	cd $* && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

## slides-html: the static copy of the deck (reveal.js, speaker view with S, nothing from a network)
slides-html: $(VENV)/.lab slides/node_modules/.stamp
	$(BIN)/python slides/build_html.py

## slides-pdf: the static copy printed by headless Chromium (/usr/bin/chromium), one slide per page,
## and a copy for the lecturer with each slide's speaker notes on the page after it
slides-pdf: slides-html $(VENV)/.test
	$(BIN)/python slides/build_pdf.py

## test: unit tests, lint, strict nbval on every notebook, browser tests
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with=notebooks/sanitize.cfg
test: $(VENV)/.test
	$(BIN)/python -m pytest $(NBVAL) --durations=15

## test-fast: the unit tests alone (no notebooks, no browser, no servers or otter runs), for the edit-test loop
test-fast: $(VENV)/.test
	$(BIN)/python -m pytest tests -m "not browser and not slow" -q -n auto

## test-newest: the whole suite against the newest release of every dependency, in a
## separate .venv-newest (the pins are left alone); reports which versions moved
NEWEST := .venv-newest
test-newest:
	rm -rf $(NEWEST) && $(PYTHON) -m venv $(NEWEST)
	$(NEWEST)/bin/python -m pip install --quiet --upgrade pip
	$(NEWEST)/bin/python -m pip install --quiet -e '.[server,test,browser,homework]'
	mkdir -p $(NEWEST)/share/jupyter/lab/settings && cp lab-settings/overrides.json $(NEWEST)/share/jupyter/lab/settings/
	$(NEWEST)/bin/python .ci/compare_pins.py $(CONSTRAINTS)
	$(NEWEST)/bin/python -m pytest $(NBVAL) -q -p no:cacheprovider \
		--deselect tests/project/test_repository.py::test_the_pinned_versions_are_the_installed_ones

## pins: rewrite constraints.txt from the versions installed in .venv now
pins: $(VENV)/.test
	$(BIN)/python .ci/compare_pins.py --write $(CONSTRAINTS)

## links: the Binder and nbgitpuller links of this release, pinned to its tag v<version> (and
## the branch release-<version> for nbgitpuller): make links REPO=owner/kaiming-lab HUB=hub.example.edu
REPO ?= $(shell git remote get-url origin 2>/dev/null | sed -E 's#^(git@github\.com:|https://github\.com/)##; s#\.git$$##')
HUB ?= hub.example.edu
links:
	@version=$$(sed -n 's/^__version__ = "\(.*\)"$$/\1/p' kaiming_lab/__init__.py); \
	repo="$(REPO)"; [ -n "$$repo" ] || { echo "say which repository: make links REPO=owner/kaiming-lab"; exit 1; }; \
	name=$${repo##*/}; \
	echo "Binder:       https://mybinder.org/v2/gh/$$repo/v$$version?urlpath=lab/tree/notebooks/00_start_here.ipynb"; \
	echo "nbgitpuller:  https://$(HUB)/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2F$$(echo $$repo | sed 's#/#%2F#')&branch=release-$$version&urlpath=lab%2Ftree%2F$$name%2Fnotebooks%2F00_start_here.ipynb"; \
	echo "image tag:    v$$version"

## classroom-load: size a hub for a class: a local JupyterHub and N students (needs npm;
## not part of make test): make classroom-load N=24
N ?= 8
CHP := $(VENV)/node/node_modules/.bin/configurable-http-proxy
classroom-load: $(VENV)/.test
	$(PIP_INSTALL) -e '.[server,test,browser,homework,hub]'
	[ -x $(CHP) ] || npm install --silent --no-audit --no-fund --prefix $(VENV)/node configurable-http-proxy@5
	$(BIN)/python benchmarks/classroom_load.py --students $(N) --moves 20

## homework: the graded assignments' student release and autograder, homework/dist/<name>/
homework: $(VENV)/.test
	$(BIN)/python homework/build.py

## explorer: serve the explorer dashboard (the app and one paragraph, no code) with Voila on
## 127.0.0.1; one kernel is kept pre-heated, so the next visitor sees the plot at once
explorer: $(VENV)/.lab
	$(BIN)/voila notebooks/explorer_dashboard.ipynb --no-browser --Voila.ip=127.0.0.1 --port=$(PORT) \
		--preheat_kernel=True --pool_size=1

## notebooks: re-execute every notebook in place (after changing the package)
notebooks: $(VENV)/.test
	cd notebooks && for nb in *.ipynb; do \
		echo "executing $$nb"; \
		../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.kernel_name=python3 "$$nb" || exit 1; \
	done

## lint / format: ruff over the package, tests, benchmarks and notebooks
lint: $(VENV)/.test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(VENV)/.test
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

## benchmarks: speed figures (medians, with a baseline measured in the same run); the hub's
## classroom load has its own target (make classroom-load), it needs npm
benchmarks: $(VENV)/.test
	for b in benchmarks/*.py; do \
		[ "$$b" = benchmarks/classroom_load.py ] && continue; \
		$(BIN)/python "$$b" || exit 1; \
	done

## site: the static edition in site/_build/html (every executed notebook as a page; works
## offline, the explorer's variance and depth move with no kernel); open its index.html
site: $(VENV)/.test site/node_modules/.stamp
	$(BIN)/python site/build.py

clean:
	rm -rf $(VENV) $(NEWEST) .pytest_cache .ruff_cache .hypothesis homework/dist site/_build site/node_modules slides/node_modules
