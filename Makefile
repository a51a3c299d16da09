# The two commands: `make up` runs the whole platform, `make test` runs the whole suite.
# Both install what is missing first (scripts/install.sh).
PY := .venv/bin/python

.PHONY: install up test bench simulate faults cluster-test soak clean

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

# The fault suite in full (docs/operations.md, "The fault suite"): every service, the gateway,
# the broker and the store killed in turn during 300 cases, then one node of a three-node
# RabbitMQ cluster. `make test` runs a short version of the first.
faults: install
	@FAULT_CASES=$${FAULT_CASES:-300} FAULT_KILLS=$${FAULT_KILLS:-intake,approval,queue,payment,monitor,gateway,broker,store} \
		RABBITMQ_CLUSTER_TEST=1 scripts/run-tests.sh -s tests/faults/test_make_up_rides_through_crashes.py \
		tests/faults/test_rabbitmq_cluster.py $(PYTEST_ARGS)

cluster-test: install
	@RABBITMQ_CLUSTER_TEST=1 scripts/run-tests.sh -s tests/faults/test_rabbitmq_cluster.py $(PYTEST_ARGS)

# Ten minutes of mixed traffic at half the measured capacity: no error, flat memory (SOAK_SECONDS).
soak: install
	@SOAK_SECONDS=$${SOAK_SECONDS:-600} scripts/run-tests.sh -s tests/faults/test_soak.py $(PYTEST_ARGS)

clean:
	rm -rf .venv .run
