# Every target does its own set-up: a project venv in .venv (pip), and, through invokekit's own
# code, the InvokeAI venv and tiny models in the cache (~/.cache/invokekit, or $INVOKEKIT_CACHE).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PROMPT ?= a lighthouse on a cliff at dusk, oil painting

.PHONY: setup demo test lint bench clean-sandbox browser-deps bench-full notebooks

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[notebooks,test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name invokekit --display-name "invokekit (.venv)" >/dev/null
	touch $(STAMP)

setup: $(STAMP)

# The main job: start the local sandbox InvokeAI (installing it on first use), run InvokeAI's
# shipped "Text to Image - SDXL" workflow on the tiny model, download the image, print timings.
demo: $(STAMP)
	$(BIN)/invokekit run "Text to Image - SDXL" --model tiny-sdxl --set vae=tiny-sdxl-vae \
		--set positive_prompt="$(PROMPT)" --set width=256 --set height=256 --set steps=4 --out out/

# The whole test suite, against the real sandbox server (started and stopped by the tests).
test: $(STAMP) browser-deps
	$(BIN)/ruff check .
	$(BIN)/invokekit sandbox install
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/invokekit bench --quick

# Counts for a real report, on a sandbox of its own so no other job shares the measured queue.
bench-full: $(STAMP)
	$(BIN)/invokekit bench --full --sandbox bench

clean-sandbox: $(STAMP)
	$(BIN)/invokekit sandbox down

# Headless Chromium for the browser test, from Debian's packages (Playwright cannot download one here).
browser-deps:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Re-execute the documentation notebooks in place against the sandbox, refreshing their stored outputs.
notebooks: $(STAMP)
	cd notebooks && for nb in *.ipynb; do env -u INVOKEAI_URL ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.store_widget_state=True "$$nb"; done
	# trusted for this user: JupyterLab draws the stored widgets of a trusted notebook only (else their text repr)
	cd notebooks && ../$(BIN)/jupyter trust *.ipynb
