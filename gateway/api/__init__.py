"""One module per domain, each with a blueprint ``bp``; its OpenAPI ``PATHS`` and ``SCHEMAS``
are in ``gateway/api/specs/`` under the same name. Handlers validate input, call a service
over RPC and shape the answer; business rules live in the services. ``gateway.domains``
lists the modules."""

from flask import current_app

from gateway.rpc import Services


def rpc():
    """The services, called through their contracts: ``rpc().intake.submit_case(application)``."""
    return Services(current_app.extensions["rpc"])
