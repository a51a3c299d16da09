"""One module per domain, each with a blueprint ``bp`` and its OpenAPI ``PATHS`` and
``SCHEMAS``. Handlers validate input, call a service over RPC and shape the answer;
business rules live in the services. ``gateway.domains`` lists the modules."""
from flask import current_app


def rpc():
    return current_app.extensions["rpc"]
