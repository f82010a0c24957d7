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

.PHONY: lab slides slides-html slides-pdf test test-fast explorer notebooks lint format benchmarks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files remember which extras are installed; editing pyproject.toml reinstalls.
$(VENV)/.lab: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,browser]'
	touch $@ $(VENV)/.lab

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

# reveal.js and MathJax for the static copy, pinned by slides/package-lock.json
slides/node_modules/.installed: slides/package.json slides/package-lock.json
	cd slides && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

## slides-html: the static copy of the deck (reveal.js, speaker view with S, nothing from a network)
slides-html: $(VENV)/.lab slides/node_modules/.installed
	$(BIN)/python slides/build_html.py

## slides-pdf: the static copy printed by headless Chromium (/usr/bin/chromium), one slide per page,
## and a copy for the lecturer with each slide's speaker notes on the page after it
slides-pdf: slides-html $(VENV)/.test
	$(BIN)/python slides/build_pdf.py

## test: unit tests, lint, strict nbval on every notebook, browser tests
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with=notebooks/sanitize.cfg
test: $(VENV)/.test
	$(BIN)/python -m pytest $(NBVAL) --durations=15

## test-fast: the unit tests alone (no notebooks, no browser), for the edit-test loop
test-fast: $(VENV)/.test
	$(BIN)/python -m pytest tests -m "not browser" -q

## explorer: serve the explorer dashboard (the app and one paragraph, no code) with Voila on
## 127.0.0.1; one kernel is kept pre-heated, so the next visitor sees the plot at once
explorer: $(VENV)/.test
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

## benchmarks: speed figures (medians, with a baseline measured in the same run)
benchmarks: $(VENV)/.test
	for b in benchmarks/*.py; do $(BIN)/python "$$b" || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
