# Image-colorization experiment suite. `make help` lists the targets.
# Every target bootstraps .venv from PyPI (pinned versions in requirements.txt) when needed.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# auto: paper on a GPU machine with the Kaggle data, else quick (announced). Or paper|quick|smoke.
PROFILE ?= auto
PYTEST_ARGS ?=

# Keep TensorFlow's C++ log noise out of notebooks, tests and nbval comparisons.
export TF_CPP_MIN_LOG_LEVEL ?= 3
export PYTHONHASHSEED ?= 0

.DEFAULT_GOAL := help
.PHONY: help venv requirements test test-unit test-notebooks reproduce data lab lint bench bench-check clean distclean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

venv requirements: $(STAMP) ## Create .venv and install the pinned dependencies

test: test-unit test-notebooks ## Run every test: unit tests, then nbval over the notebooks (smoke profile)

test-unit: $(STAMP) ## Unit tests only
	$(BIN)/python -m pytest tests $(PYTEST_ARGS)

test-notebooks: $(STAMP) ## nbval: re-execute the notebooks and compare their checked outputs
	COLORIZATION_PROFILE=smoke COLORIZATION_DATA=synthetic \
	  $(BIN)/python -m pytest --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  -p no:cacheprovider $(PYTEST_ARGS)

reproduce: $(STAMP) ## Run every notebook headless (PROFILE=paper|quick|smoke), write reports/
	$(BIN)/python -m colorization.reproduce --profile $(PROFILE)

data: $(STAMP) ## Download and prepare the Kaggle datasets (needs a Kaggle API token)
	$(BIN)/colorization data fruits animals

lab: $(STAMP) ## Open JupyterLab on the notebooks
	$(BIN)/jupyter lab notebooks

lint: $(STAMP) ## ruff over the library, tests and benchmarks
	$(BIN)/ruff check lib tests bench notebooks

bench: $(STAMP) ## Benchmarks: input pipeline, then training images/s vs the PyTorch reference (CPU)
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/train_speed.py --out reports/train_speed.json

bench-check: $(STAMP) ## Quick check of the benchmark scripts (PyTorch twin == Keras network; GPU script on the CPU)
	$(BIN)/python bench/reference_torch.py --check
	KERAS_BACKEND=jax $(BIN)/python bench/gpu.py --cpu --models autoencoder_small

clean: ## Remove caches and reports (keeps .venv, data/ and runs/)
	rm -rf reports .pytest_cache .ruff_cache
	find . -name __pycache__ -prune -exec rm -rf {} +

distclean: clean ## Also remove .venv, runs/ and prepared data
	rm -rf $(VENV) runs data/prepared
