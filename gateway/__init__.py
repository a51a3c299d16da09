"""The gateway: a plain Flask (WSGI) app in front of the services.

``create_app(test_config=None)`` builds the config from the environment (the one loader
in ``services.common.config``), then ``test_config`` on top; a test may pass its own
``RPC_CLIENT``.
"""

import logging
import os

from flask import Flask

from gateway.api.health import StoreProbe
from gateway.api_keys import ApiKeys
from gateway.auth import UserDirectory
from gateway.domains import DOMAINS
from gateway.headers import secure
from gateway.idempotency import request_log
from gateway.limits import limit
from gateway.metrics import current_request_id, instrument, request_context
from gateway.openapi import build_spec
from gateway.problems import register_error_handlers
from gateway.production import refuse_unsafe, refuse_without_admin
from gateway.rpc import RpcClient
from gateway.staff_accounts import StaffAccounts
from gateway.validation import BodyValidators
from services.common import json_logs
from services.common.config import load_settings

MAX_BODY_BYTES = 4 * 1024 * 1024


def create_app(test_config=None):
    app = Flask(__name__)
    app.config.from_mapping(load_settings())
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.ensure_ascii = False
    if test_config:
        app.config.update(test_config)
    refuse_unsafe(app.config, os.environ)
    app.extensions["rpc"] = app.config.get("RPC_CLIENT") or RpcClient(
        app.config["AMQP_URI"], timeout=app.config["RPC_TIMEOUT_SECONDS"], context_data=request_context
    )
    accounts = app.config.get("STAFF_ACCOUNTS") or StaffAccounts.from_settings(app.config)
    refuse_without_admin(accounts, app.config)
    app.extensions["users"] = UserDirectory.from_settings(app.config, accounts)
    app.extensions["api_keys"] = app.config.get("API_KEYS") or ApiKeys.from_settings(app.config)
    app.extensions["requests"] = app.config.get("REQUEST_LOG") or request_log(app.config)
    app.extensions["store_probe"] = app.config.get("STORE_PROBE") or StoreProbe(app.config["MONGO_URI"])
    app.extensions["openapi"] = build_spec()
    app.extensions["body_validators"] = BodyValidators(app.extensions["openapi"])
    for domain in DOMAINS:
        app.register_blueprint(domain.bp)
    register_error_handlers(app)
    instrument(app)
    limit(app)
    secure(app)
    json_logs.configure(current_request_id, service="gateway")
    logging.getLogger("pika").setLevel(logging.WARNING)  # one line per connection step otherwise
    return app
