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
	@$(PY) bench/rpc.py $(BENCH_ARGS)
	@$(PY) bench/store.py $(BENCH_ARGS)
	@$(PY) bench/queue.py $(BENCH_ARGS)
	@$(PY) bench/approval.py $(BENCH_ARGS)

clean:
	rm -rf .venv .run
