# The two commands: `make up` runs the whole platform, `make test` runs the whole suite.
# Both install what is missing first (scripts/install.sh).
PY := .venv/bin/python

.PHONY: install up test bench simulate clean

install:
	@scripts/install.sh

up: install
	@$(PY) -m stack

test: install
	@scripts/run-tests.sh $(PYTEST_ARGS)

# Each script's own table, then the summary of the platform's scale figures (bench/results/*.json).
bench: install
	@$(PY) -m bench.rpc $(BENCH_ARGS)
	@$(PY) -m bench.store $(BENCH_ARGS)
	@$(PY) -m bench.queue_calls $(BENCH_ARGS)
	@$(PY) -m bench.approval $(BENCH_ARGS)
	@$(PY) -m bench.summary $(BENCH_ARGS)

# A simulated day in the hall through the public API, proven figure by figure (docs/simulation.md).
simulate: install
	@$(PY) -m sim $(SIM_ARGS)

clean:
	rm -rf .venv .run
