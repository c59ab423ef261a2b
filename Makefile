# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
FASHION_MNIST := /usr/share/datasets/fashion-mnist

.PHONY: setup data demo test bench clean classify

setup: $(STAMP)

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,jax]"
	touch $(STAMP)

# Fashion-MNIST from Debian's dataset-fashion-mnist when we are root with
# apt-get; otherwise rocket_keras.data falls back to the Keras download.
data:
	@if [ ! -d $(FASHION_MNIST) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist; \
	fi

demo: setup data
	$(PY) examples/train.py --flagfile=recipes/resnet14-resnet8/fashion_mnist_demo.txt --output_dir=runs/demo --noresume

# The shipped ResNet-20/8 preset's light net (int8 TFLite, LiteRT) on two committed CIFAR-10 test images.
classify: setup
	$(PY) examples/classify.py --preset=resnet20-resnet8.cifar10 examples/images/cifar10_ship.jpg examples/images/cifar10_horse.jpg

# The suite in TEST_WORKERS processes (pytest-xdist), whole files per process
# so that a file's shared fixtures run once; TEST_WORKERS=0 runs it in one.
# The 25 slowest tests are listed at the end, to keep the suite within its 12 minutes.
TEST_WORKERS ?= 2
test: setup data
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=25 tests

clean:
	rm -rf runs .pytest_cache

# Benchmarks with small defaults (a few minutes on 2 cores); see bench/README.md.
bench: setup data
	$(PY) bench/train_step.py --models=resnet14-resnet8_fmnist --steps=10
	$(PY) bench/train_total.py --model=resnet14-resnet8 --epochs=1 --train_size=5000
	$(PY) bench/inference.py --model=resnet14-resnet8_fmnist --runs=30
