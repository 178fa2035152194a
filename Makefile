# chunkbench — the two commands of the README, and their parts.
#   make run    fetch the models (once), build, and run the default benchmark
#   make test   fetch the models (once), check formatting and lints, run every test (with bm25s,
#               in a venv of its own, as the reference BM25 scores are checked against)
# Models go to $CHUNKBENCH_MODELS or ~/.cache/chunkbench/models (see scripts/fetch-models.sh).

CARGO ?= cargo

.PHONY: run test models models-mpnet models-int8 deps chromium build lint bench gate

run: models build
	./target/release/chunkbench run

test: deps models chromium lint
	CHUNKBENCH_BM25_PYTHON="$$(bash scripts/ensure-bm25-reference.sh)" $(CARGO) test --all-targets
	$(CARGO) test --doc

models:
	bash scripts/fetch-models.sh

# Optional second embedding model, all-mpnet-base-v2 (768-d, 384 word pieces), converted to ONNX
# offline and checked against sentence-transformers' embeddings (see scripts/fetch-mpnet.sh).
models-mpnet:
	bash scripts/fetch-mpnet.sh

# Optional int8 variant of the bundled model (ONNX Runtime's dynamic quantisation of the fp32
# graph, made offline): --embed-model all-MiniLM-L6-v2-int8 (see scripts/make-int8.sh).
models-int8: models
	bash scripts/make-int8.sh

# Debian's chromium, for the headless-browser test of report.html; installs it only when missing.
chromium:
	bash scripts/ensure-chromium.sh

# System packages the build needs (cmake, clang, libclang for llama.cpp); installs only what is missing.
deps:
	bash scripts/install-build-deps.sh

build: deps
	$(CARGO) build --release

lint: deps
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

bench: deps
	$(CARGO) bench --bench chunkers

# The regression gate this repository runs on itself: the default benchmark against the committed
# baseline (exit 1 on a real regression).
gate: models build
	./target/release/chunkbench run --quiet --out results/gate-current
	./target/release/chunkbench compare results/baseline.json results/gate-current
