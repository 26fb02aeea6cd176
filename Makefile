# Image-colorization experiment suite. `make help` lists the targets.
# Every target creates .venv and installs the locked dependencies from PyPI when needed:
#   requirements/runtime.txt  the library and the notebooks (TensorFlow, Keras, OpenCV, Jupyter, ...)
#   requirements/test.txt     runtime + the test tools (pytest, nbval, jupytext, ruff)
#   requirements/jax.txt      runtime + JAX (CPU build), the second Keras backend the tests use
#   requirements/gpu.txt      runtime + JAX + the CUDA builds of TensorFlow and JAX (GPU=1)
#   requirements/bench.txt    runtime + PyTorch, for the benchmarks' reference (`make bench` only)
# Each is generated from the ranges in pyproject.toml by `make lock`; never edit them by hand.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
STAMP := $(VENV)/.installed-stamp
GPU_STAMP := $(VENV)/.gpu-stamp
BENCH_STAMP := $(VENV)/.bench-stamp
# auto: paper on a GPU machine with the Kaggle data, else quick (announced). Or paper|quick|smoke.
PROFILE ?= auto
PYTEST_ARGS ?=
# Tests run in parallel processes (pytest-xdist): one per core, 2 to 4; a notebook's cells stay
# in one process (--dist loadfile). TEST_WORKERS=0 runs them in this process (e.g. for pdb).
TEST_WORKERS ?= $(shell n=$$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2); \
	[ "$$n" -gt 4 ] && n=4; [ "$$n" -lt 2 ] && n=2; echo $$n)
# GPU=auto: install the CUDA builds when `nvidia-smi` sees an NVIDIA GPU; GPU=1 always; GPU=0 never.
GPU ?= auto
# The supported Python versions (pyproject.toml's requires-python); the locks are resolved for
# the lowest, 3.11.0, and hold for every version up to the highest.
PY_LOWEST := 3.11
PY_SUPPORTED := 3.11, 3.12 or 3.13
# The tool `make lock` uses (installed into its own .venv-lock).
UV_VERSION ?= 0.13.9

# Keep TensorFlow's C++ log noise out of notebooks, tests and nbval comparisons.
export TF_CPP_MIN_LOG_LEVEL ?= 3
export PYTHONHASHSEED ?= 0

ifeq ($(GPU),auto)
  GPU_NAME := $(shell nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)
  ifneq ($(strip $(GPU_NAME)),)
    GPU_ON := 1
    GPU_WHY := nvidia-smi found an NVIDIA GPU ($(strip $(GPU_NAME))); GPU=0 skips this
  endif
else ifeq ($(GPU),1)
  GPU_ON := 1
  GPU_WHY := GPU=1
endif
INSTALLED := $(STAMP) $(if $(GPU_ON),$(GPU_STAMP))

.DEFAULT_GOAL := help
.PHONY: help venv requirements check-python check-lock lock download-size test test-unit \
	test-notebooks reproduce publish data lab lint bench bench-check clean distclean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_ -]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  Variables: PYTHON=$(PYTHON) (Python $(PY_SUPPORTED)), GPU=auto|1|0, PROFILE=auto|paper|quick|smoke, VERBOSE=1, YES=1"

# Fails early, naming the interpreter and what to install, instead of a resolver error later.
define check_python
	@command -v $(1) >/dev/null 2>&1 || { \
	  echo "error: no '$(1)' found. This project needs Python $(PY_SUPPORTED) (with its venv module)."; \
	  echo "  Install one, then: make venv PYTHON=python3.11 (or the path of that python)"; \
	  echo "  Debian 12: sudo apt install python3 python3-venv   Ubuntu 24.04: the same (3.12)"; \
	  echo "  elsewhere: pyenv install 3.11, or https://www.python.org/downloads/"; exit 2; }
	@$(1) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' || { \
	  echo "error: $(1) is Python $$($(1) -c 'import platform; print(platform.python_version())'); this project supports Python $(PY_SUPPORTED)."; \
	  echo "  Install one, then: make venv PYTHON=python3.11 (or the path of that python)"; \
	  echo "  Debian 12: sudo apt install python3 python3-venv   Ubuntu 24.04: the same (3.12)"; \
	  echo "  elsewhere: pyenv install 3.11, or https://www.python.org/downloads/"; \
	  if [ -x $(BIN)/python ]; then echo "  ($(VENV) was made with it: remove it first, rm -rf $(VENV))"; fi; exit 2; }
endef

check-python: ## Check that PYTHON (or the existing .venv) is a supported Python
	$(if $(wildcard $(BIN)/python),$(call check_python,$(BIN)/python),$(call check_python,$(PYTHON)))
	@echo "Python $$($(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) -c 'import platform; print(platform.python_version())'): supported ($(PY_SUPPORTED))."

$(STAMP): pyproject.toml requirements/runtime.txt requirements/test.txt requirements/jax.txt
	$(if $(wildcard $(BIN)/python),$(call check_python,$(BIN)/python),$(call check_python,$(PYTHON)))
	@test -x $(BIN)/python || { echo "==> Creating $(VENV) with $(PYTHON) (Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'))"; \
	  $(PYTHON) -m venv $(VENV); }
	@echo "==> Upgrading pip in $(VENV)"
	$(PIP) install --upgrade "pip>=24"
	@echo "==> Installing the runtime, test and JAX (CPU) layers: requirements/test.txt + requirements/jax.txt,"
	@echo "    about 150 packages; on Linux x86-64 about 0.9 GB to download (TensorFlow alone 0.57 GB),"
	@echo "    about 3 GB on disk. pip shows each download with its size."
	@# opencv-python (GUI build, needs libGL) was replaced by opencv-python-headless: both own cv2/
	@$(PIP) uninstall --yes --quiet opencv-python >/dev/null 2>&1 || true
	$(PIP) install --progress-bar on -r requirements/test.txt -r requirements/jax.txt
	@echo "==> Installing the colorization library (editable, from lib/; setuptools from the lock)"
	$(PIP) install --no-deps --no-build-isolation -e .
	@touch $@
	@echo "==> $(VENV) is ready."

$(GPU_STAMP): $(STAMP) requirements/gpu.txt
	@echo "==> GPU install ($(GPU_WHY)): TensorFlow's CUDA libraries and the CUDA build of JAX,"
	@echo "    requirements/gpu.txt; on Linux x86-64 about 3.3 GB more to download (cuDNN, cuBLAS, ...)."
	@test "$$(uname -s)" = Linux || { echo "error: the CUDA builds of TensorFlow and JAX exist for Linux only; run without GPU=1"; exit 2; }
	$(PIP) install --progress-bar on -r requirements/test.txt -r requirements/gpu.txt
	@$(BIN)/python -c 'import tensorflow as tf, jax; print("==> TensorFlow sees", tf.config.list_physical_devices("GPU") or "no GPU", "| JAX sees", jax.devices())'
	@touch $@

$(BENCH_STAMP): $(STAMP) requirements/bench.txt
	@echo "==> make bench: installing PyTorch for the benchmarks' reference (requirements/bench.txt);"
	@echo "    on Linux x86-64 this is torch's CUDA build with its NVIDIA libraries, about 2.7 GB to download."
	$(PIP) install --progress-bar on -r requirements/test.txt -r requirements/jax.txt -r requirements/bench.txt
	@touch $@

venv requirements: $(INSTALLED) ## Create .venv and install the locked dependencies (GPU=1: also the CUDA builds)

# pip takes --platform literally: name every manylinux tag a Linux x86-64 machine accepts.
# (glibc 2.28 and older: manylinux_2_28 ... manylinux_2_5, and the legacy manylinux2014/2010/1 names)
LINUX_X86_64 := $(foreach tag,$(foreach v,$(shell seq 28 -1 5),manylinux_2_$(v)) \
	manylinux2014 manylinux2010 manylinux1,--platform $(tag)_x86_64)

check-lock: $(STAMP) ## Resolve every lock file for the lowest supported Python (3.11.0), without installing
	@for set in "test jax" "bench" "gpu"; do \
	  files=""; for layer in $$set; do files="$$files -r requirements/$$layer.txt"; done; \
	  echo "==> layers runtime + $$set (requirements/), on Python $(PY_LOWEST).0, Linux x86-64:"; \
	  $(PIP) install --dry-run --ignore-installed --quiet --only-binary=:all: \
	    --python-version $(PY_LOWEST) --implementation cp $(LINUX_X86_64) \
	    -r requirements/runtime.txt $$files || exit 1; \
	  echo "    resolves"; \
	done

lock: ## Regenerate requirements/*.txt from pyproject.toml (uv pip compile, Python 3.11.0 and up; UPGRADE=1: newest in range)
	@test -x .venv-lock/bin/uv || { $(PYTHON) -m venv .venv-lock && .venv-lock/bin/python -m pip install "uv==$(UV_VERSION)"; }
	@set -e; compile() { out=$$1; shift; echo "==> $$out"; \
	  .venv-lock/bin/uv pip compile pyproject.toml --universal --python-version $(PY_LOWEST) \
	    --fork-strategy fewest $(if $(UPGRADE),--upgrade) --quiet --custom-compile-command "make lock" "$$@" -o $$out; }; \
	compile requirements/runtime.txt; \
	compile requirements/test.txt --extra test -c requirements/runtime.txt; \
	compile requirements/jax.txt --extra jax -c requirements/runtime.txt; \
	compile requirements/gpu.txt --extra gpu -c requirements/jax.txt; \
	compile requirements/bench.txt --extra bench -c requirements/runtime.txt

LAYERS ?= test jax
download-size: ## What installing LAYERS (default "test jax", what `make test` installs) downloads: pip download into an empty folder
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && \
	$(PYTHON) -m pip download --no-cache-dir --no-deps --only-binary=:all: --quiet -d "$$d" \
	  $(foreach layer,$(LAYERS),-r requirements/$(layer).txt) && \
	echo "requirements/{$$(echo $(LAYERS) | tr ' ' ,)}.txt: $$(ls "$$d" | wc -l) files, $$(du -sb "$$d" | awk '{printf "%.0f MB", $$1 / 1e6}')"

test: test-unit test-notebooks ## Run every test: unit tests, then nbval over the notebooks (smoke profile)

test-unit: $(INSTALLED) ## Unit tests only
	$(BIN)/python -m pytest tests -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

test-notebooks: $(INSTALLED) ## nbval: re-execute the notebooks (smoke); fail on errors and on changed NBVAL_CHECK_OUTPUT cells
	COLORIZATION_PROFILE=smoke COLORIZATION_DATA=embedded \
	  $(BIN)/python -m pytest --nbval-lax notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# make reproduce: VERBOSE=1 also shows every notebook's own output; YES=1 starts a run that is
# long on a machine without a GPU without asking; ONLY="02 03" runs only those notebooks.
REPRODUCE_ARGS = --profile $(PROFILE) $(if $(filter 1 yes true,$(VERBOSE)),--verbose) \
	$(if $(filter 1 yes true,$(YES)),--yes) $(if $(ONLY),--only $(ONLY))

reproduce: $(INSTALLED) ## Run every notebook headless (PROFILE=paper|quick|smoke; VERBOSE=1, YES=1), write reports/
	@$(BIN)/python -m colorization.study.reproduce $(REPRODUCE_ARGS)

publish: $(INSTALLED) ## make reproduce, then its executed notebooks become notebooks/ and docs/results/ is refreshed
	@$(BIN)/python -m colorization.study.reproduce $(REPRODUCE_ARGS) --publish

data: $(INSTALLED) ## Prepare the Kaggle datasets: attached to a Kaggle Notebook, or downloaded with a Kaggle login (README)
	$(BIN)/colorization data fruits animals

lab: $(INSTALLED) ## Open JupyterLab on the notebooks
	$(BIN)/jupyter lab notebooks

lint: $(INSTALLED) ## ruff over the library, tests and benchmarks
	$(BIN)/ruff check lib tests bench notebooks

bench: $(INSTALLED) $(BENCH_STAMP) ## Benchmarks (installs PyTorch first): input pipeline, then training images/s vs the PyTorch reference (CPU)
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/train_speed.py --out reports/train_speed.json

bench-check: $(INSTALLED) $(BENCH_STAMP) ## Quick check of the benchmark scripts (PyTorch twin == Keras network; GPU script on the CPU)
	$(BIN)/python bench/reference_torch.py --check
	KERAS_BACKEND=jax $(BIN)/python bench/gpu.py --cpu --models autoencoder_small

clean: ## Remove caches and reports (keeps .venv, data/ and runs/)
	rm -rf reports .pytest_cache .ruff_cache
	find . -name __pycache__ -prune -exec rm -rf {} +

distclean: clean ## Also remove .venv, runs/ and prepared data
	rm -rf $(VENV) .venv-lock runs data/prepared
