"""One blueprint per domain. Handlers validate input, call a service over RPC and shape
the answer; business rules live in the services."""
from flask import current_app


def rpc():
    return current_app.extensions["rpc"]
