# facereplace: `make demo` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12 (Django 6 needs it): on PATH, or the pyenv build when the shim does not expose it.
PYTHON312 := $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do \
	if $$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1; then echo $$p; break; fi; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stamp-install
FRONTEND_STAMP := review/static/review/build/.stamp
SYSTEM_PACKAGES := chromium redis-server postgresql fonts-dejavu-core libegl1 libegl-mesa0 libgl1-mesa-dri
EGL_PACKAGES := libegl1 libegl-mesa0 libgl1-mesa-dri
NEEDS_NODE := 1
GPU_BENCH_SECONDS := 480
export OPENCV_IO_ENABLE_OPENEXR := 1
export PYTHONUNBUFFERED := 1
# see pipeline/__init__.py: torch threads that wait passively keep their speed on a shared machine
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: help install system-deps frontend test demo bench bench-gpu serve clean settings-doc

help:
	@echo "make demo   install, serve http://127.0.0.1:8000, run the engine on the demo's shots as the site's jobs"
	@echo "make test   install, then run every test"
	@echo "make bench  run the benchmarks and write bench-report/"
	@echo "make settings-doc  rewrite docs/settings.md (every setting of shot.toml) from the code"
	@echo "make bench-gpu  on a machine with an NVIDIA GPU: install, run the GPU benchmark, write bench-report/"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON312)" || { echo "error: Python 3.12 not found (install python3.12, or pyenv install 3.12)" >&2; exit 1; }
	test -x $(PY) || $(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP) frontend

# Debian packages the tests and the demo use; apt runs only when one is missing. Node.js and npm (the
# player's build) are looked for as commands: a machine may have them from elsewhere, and Debian's npm would
# conflict with that nodejs.
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	[ -z "$(NEEDS_NODE)" ] || command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

frontend: $(FRONTEND_STAMP)
$(FRONTEND_STAMP): $(shell find frontend -type f -not -path '*/node_modules/*' 2>/dev/null)
	@if [ -f frontend/package.json ]; then cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build; fi
	mkdir -p $(dir $@) && touch $@

test: system-deps install
	$(PY) -m pytest -p no:cacheprovider -q

# The site answers at once; the engine trains and converts the demo's shots as its jobs, shown live on the board
# and the shots' pages (`facereplace demo DIR` then `manage.py demo_site DIR` is the command-line route).
demo: system-deps install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_site

bench: system-deps install
	$(PY) -m tests.bench

settings-doc: install
	$(VENV)/bin/facereplace shot settings-doc

# The GPU check (issue 25), one command on a machine with an NVIDIA GPU and its driver: installs what it needs,
# checks that torch sees the GPU, runs the CUDA tests (their failure is reported, and the benchmark still
# runs), then runs `python -m tests.bench gpu` within GPU_BENCH_SECONDS and writes
# bench-report/REPORT.md and results.json (the card's name first). Where python3 already holds a CUDA build of
# torch (a GPU node's image, itself maybe a venv) the virtual environment sees its packages (a .pth) and only what is
# missing is installed (from PyPI, or offline from wheels in WHEELS); else `make install`'s environment, with
# PyPI's torch. The EGL packages the synthetic shot renders with are installed when apt can reach its mirror.
WHEELS := .whl
bench-gpu:
	@nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || \
		{ echo "error: make bench-gpu needs an NVIDIA GPU and its driver (nvidia-smi was not found or failed)" >&2; exit 1; }
	@$(MAKE) --no-print-directory system-deps SYSTEM_PACKAGES="$(EGL_PACKAGES)" NEEDS_NODE= || \
		echo "warning: the EGL packages could not be installed; the quality figures need an EGL (the driver's will do)"
	@if [ ! -x $(PY) ] && python3 -c 'import torch, sys; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then \
		python3 -m venv --system-site-packages $(VENV) && \
		python3 -c 'import site; print("\n".join(site.getsitepackages()))' > \
			"$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/gpu-node.pth" && \
		$(PY) -m pip install --quiet --no-deps --no-build-isolation -e . && \
		for req in $$($(PY) tests/bench/gpu_env.py); do \
			$(PY) -m pip install --quiet --retries 0 --timeout 10 \
				$$( [ -d $(WHEELS) ] && echo --find-links $(WHEELS) ) "$$req" || \
				echo "warning: $$req could not be installed; the benchmark parts that import it will say so"; \
		done; \
		touch $(STAMP); \
	fi
	@$(MAKE) --no-print-directory $(STAMP)
	@$(PY) tests/bench/gpu_env.py --check-cuda
	-$(PY) -m pytest -p no:cacheprovider -q tests/pipeline/train/test_cuda.py tests/pipeline/train/test_gpu_path.py
	timeout --signal=INT --kill-after=20 $(GPU_BENCH_SECONDS) $(PY) -m tests.bench gpu

clean:
	rm -rf $(VENV) var bench-report test-artifacts review/static/review/build frontend/node_modules
