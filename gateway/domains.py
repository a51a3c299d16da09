"""The gateway's domains, in the order their routes appear in the OpenAPI document: one
module per domain in ``gateway/api`` (and the pages, ``gateway.web``), each with a blueprint
``bp``. A new domain is one module and one line here, and its OpenAPI fragments one module
in ``gateway/api/specs`` and one line in ``gateway.openapi``."""

from gateway import web
from gateway.api import (
    admin,
    auth,
    cases,
    catalog,
    complaints,
    docs,
    health,
    items,
    keys,
    materials,
    messages,
    payments,
    processes,
    queue,
    staff,
    stats,
    supervision,
    tasks,
    test_runs,
)

DOMAINS = (
    health,
    auth,
    items,
    catalog,
    cases,
    messages,
    materials,
    tasks,
    processes,
    test_runs,
    payments,
    supervision,
    complaints,
    stats,
    admin,
    queue,
    web,
    docs,
    keys,
    staff,
)
