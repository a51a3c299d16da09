"""Fuzzing the live gateway from its own OpenAPI document (schemathesis): every operation,
a bounded and seeded (``derandomize``) set of examples, sent anonymously, with tokens of the
staff roles and the admin, and with a department system's API key, under every check
schemathesis has: no answer is a 5xx, every status, header and content type is one the
document declares, every body conforms to its schema (so every error is problem+json),
schema-breaking requests are refused, and so on.

It runs on a platform of its own: generated requests change state (queue set-up, processes,
complaints) that the other end-to-end stories must not see."""

import pytest
import requests
import schemathesis
import schemathesis.specs.openapi.checks  # noqa: F401 -- registers the OpenAPI checks
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.config import SchemathesisConfig

from stack.platform import Platform

ROLES = ("admin", "clerk", "reviewer", "cashier", "supervisor", "designer")
CHECKS = REGISTERED_CHECKS.get_all()
# A request the document's schemas allow may still break a rule of the hall the document can only
# name, with its documented status: a shared document of another applicant, a file that is not
# a PDF, JPEG or PNG (415), a malformed Idempotency-Key (400), a slot in
# the past (422). positive_data_acceptance takes these as answers too.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "415", "422", "429"]
            }
        }
    }
)
API_KEY = {
    "name": "fuzzing",
    "department": "market_regulation",
    "permissions": ["clerk", "reviewer", "chief"],
    "expires_in_days": 1,
}
EXAMPLES_PER_OPERATION = 6


@pytest.fixture(scope="module")
def fuzzed_platform(tmp_path_factory):
    # The rate limit and the address's limit of failed logins (every invalid credential the checks
    # send counts) are lifted: every request comes from 127.0.0.1.
    running = Platform(
        tmp_path_factory.mktemp("fuzzed"),
        env={
            "APP_ENV": "demo",
            "DEMO_PASSWORD": "demo",
            "RATE_LIMIT_PER_MINUTE": "100000",
            "LOGIN_FAILURES_ALLOWED": "100000",
        },
    )
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def tokens(fuzzed_platform):
    def token(username):
        answer = requests.post(
            f"{fuzzed_platform.gateway_url}/api/v1/auth/token",
            json={"username": username, "password": "demo"},
            timeout=10,
        )
        answer.raise_for_status()
        return answer.json()["access_token"]

    credentials = {role: {"Authorization": f"Bearer {token(role)}"} for role in ROLES}
    issued = requests.post(
        f"{fuzzed_platform.gateway_url}/api/v1/admin/api-keys", json=API_KEY, headers=credentials["admin"], timeout=10
    )
    issued.raise_for_status()
    credentials["api-key"] = {"X-API-Key": issued.json()["api_key"]}
    return credentials


@pytest.fixture(scope="module")
def gateway_schema(fuzzed_platform):
    schema = schemathesis.openapi.from_url(f"{fuzzed_platform.gateway_url}/openapi.json", config=CONFIG)
    # A stream stays open for minutes; moving the platform clock is a test instrument, not an API;
    # the web pages (tag "pages") are HTML for browsers, tested in tests/browser.
    return (
        schema.exclude(path="/api/v1/queue/board/stream")
        .exclude(path="/api/v1/admin/clock", method="POST")
        .exclude(tag="pages")
    )


def _fuzz(operation, tokens):
    """Run the operation's examples; the first failure's text, or None."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def examples(case):
        case.call_and_validate(checks=CHECKS, timeout=15)
        for headers in tokens.values():
            case.call_and_validate(headers=headers, checks=CHECKS, timeout=15)

    try:
        examples()
    except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 -- schemathesis reports failures so
        return f"{operation.label}: {failure}"
    return None


# About 4,000 requests, each validated against the document by schemathesis in this process: a
# minute on a quiet machine, several on one loaded 10x over its cores. The suite's 300 s limit
# (which ends the whole pytest run) is for a hung test; this one is long, not hung.
@pytest.mark.timeout(1200)
def test_no_operation_fails_or_breaks_its_contract_for_any_caller(fuzzed_platform, gateway_schema, tokens):
    """(The pytest loader ``schemathesis.pytest.from_fixture`` does not run on pytest 9: one test
    walks the operations instead.) No request of the run moved the platform clock: its one
    operation is left out, and an API key can never carry the admin role it needs."""
    operations = [result.ok() for result in gateway_schema.get_all_operations()]
    failures = [failure for failure in (_fuzz(operation, tokens) for operation in operations) if failure]

    assert len(operations) > 50
    assert failures == [], "\n\n".join(failures)
    clock = requests.get(f"{fuzzed_platform.gateway_url}/api/v1/admin/clock", headers=tokens["admin"], timeout=10)
    assert clock.json()["offset_ms"] == 0
