# The two commands: `make up` runs the whole platform, `make test` runs the whole suite.
# Both install what is missing first (scripts/install.sh).
PY := .venv/bin/python

.PHONY: install up test bench clean

install:
	@scripts/install.sh

up: install
	@$(PY) -m stack

test: install
	@scripts/run-tests.sh $(PYTEST_ARGS)

bench: install
	@$(PY) -m bench.rpc $(BENCH_ARGS)
	@$(PY) -m bench.store $(BENCH_ARGS)
	@$(PY) -m bench.queue_calls $(BENCH_ARGS)
	@$(PY) -m bench.approval $(BENCH_ARGS)

clean:
	rm -rf .venv .run
