"""One module per domain, each with a blueprint ``bp`` and its OpenAPI ``PATHS`` and
``SCHEMAS``. Handlers validate input, call a service over RPC and shape the answer;
business rules live in the services. A new domain is one module and one line below."""
from flask import current_app

from gateway.rpc import Services


def rpc():
    """The services, called through their contracts: ``rpc().intake.submit_case(application)``."""
    return Services(current_app.extensions["rpc"])


def _domains():
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

    return (health, auth, items, catalog, cases, messages, materials, tasks, processes, test_runs, payments, supervision,
            complaints, stats, admin, queue, web,
            docs, keys, staff)


DOMAINS = _domains()
