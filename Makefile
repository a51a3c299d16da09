# The two commands: `make up` runs the whole platform, `make test` runs the whole suite.
# Both install what is missing first (scripts/install.sh).
PY := .venv/bin/python
TEST_TMP := $(CURDIR)/.run/test-tmp

.PHONY: install up test bench clean

install:
	@scripts/install.sh

up: install
	@$(PY) -m stack

# Broker, store and platform processes of the tests live under $(TEST_TMP); whatever
# the outcome, anything still running from there is stopped afterwards.
test: install
	@rm -rf $(TEST_TMP); status=0; \
	$(PY) -m pytest --basetemp=$(TEST_TMP) $(PYTEST_ARGS) || status=$$?; \
	pkill -f -- "$(TEST_TMP)" 2>/dev/null || true; \
	exit $$status

bench: install
	@$(PY) bench/rpc.py $(BENCH_ARGS)
	@$(PY) bench/store.py $(BENCH_ARGS)

clean:
	rm -rf .venv .run
