"""The one configuration loader: settings come from the environment, with defaults for
the embedded demo setting (`make up`). Services get this dict as their nameko config;
the gateway reads the same dict."""

import os

DEFAULTS = {
    "APP_ENV": "demo",
    "AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/",
    "MONGO_URI": "mongodb://127.0.0.1:27017/",
    "MONGO_DB_PREFIX": "hall",
    "METRICS_PORT": "0",
    # Where a service's /metrics listens: this machine only by default (the embedded stack);
    # production sets 0.0.0.0 so that Prometheus and the probes reach it in its container.
    "METRICS_HOST": "127.0.0.1",
    "RPC_TIMEOUT_SECONDS": "10",
    "GATEWAY_PORT": "8080",
    "TOKEN_SECRET": "demo-only-token-secret-never-use-in-production",
    "TOKEN_TTL_SECONDS": "28800",
    "DEMO_PASSWORD": "demo",
    "BPMN_DIR": "bpmn",
    "CATALOG_DIR": "catalog",
    "MATERIAL_MAX_BYTES": "2097152",
    "PAYMENT_DUE_WORKDAYS": "15",
    "BANK_SECRETS": "hall-bank:demo-only-bank-secret-never-use-in-production",
    "BANK_SIGNATURE_MAX_AGE_SECONDS": "300",
    "QUEUE_SETUP_FILE": "hall/queue.yaml",
    "HALL_CALENDAR_FILE": "hall/calendar.yaml",
    "YELLOW_WARNING_WORKDAYS": "1",
    "COMPLAINT_ACCEPT_WORKDAYS": "5",
    "COMPLAINT_RESOLVE_WORKDAYS": "10",
    "RECTIFICATION_WORKDAYS": "15",
    "QUEUE_STREAM_SECONDS": "300",
    "RATE_LIMIT_PER_MINUTE": "600",
    "LOGIN_FAILURES_ALLOWED": "10",
    "PROXY_HOPS": "0",
    "CORS_ORIGINS": "",
    "ADMIN_PASSWORD": "",
}
INTEGER_KEYS = {
    "METRICS_PORT",
    "GATEWAY_PORT",
    "TOKEN_TTL_SECONDS",
    "MATERIAL_MAX_BYTES",
    "YELLOW_WARNING_WORKDAYS",
    "COMPLAINT_ACCEPT_WORKDAYS",
    "COMPLAINT_RESOLVE_WORKDAYS",
    "RECTIFICATION_WORKDAYS",
    "QUEUE_STREAM_SECONDS",
    "RATE_LIMIT_PER_MINUTE",
    "LOGIN_FAILURES_ALLOWED",
    "PROXY_HOPS",
}
FLOAT_KEYS = {"RPC_TIMEOUT_SECONDS"}
# also as KEY_FILE
SECRET_KEYS = ("TOKEN_SECRET", "BANK_SECRETS", "DEMO_PASSWORD", "AMQP_URI", "MONGO_URI", "ADMIN_PASSWORD")


def load_settings(environ=None, **overrides):
    """Settings from ``environ`` (default: the process environment), then ``overrides``."""
    environ = os.environ if environ is None else environ
    settings = {key: environ.get(key, default) for key, default in DEFAULTS.items()}
    settings.update(secrets_from_files(environ))
    settings.update(overrides)
    for key in INTEGER_KEYS:
        settings[key] = int(settings[key])
    for key in FLOAT_KEYS:
        settings[key] = float(settings[key])
    if settings["APP_ENV"] not in ("demo", "production"):
        raise ValueError(f"APP_ENV must be 'demo' or 'production', not {settings['APP_ENV']!r}")
    if settings["APP_ENV"] == "production" and settings["TOKEN_SECRET"] == DEFAULTS["TOKEN_SECRET"]:
        raise ValueError("APP_ENV=production needs its own TOKEN_SECRET: the default one is public")
    return settings


def secrets_from_files(environ):
    """``KEY`` from the file named by ``KEY_FILE`` (a mounted secret; one trailing newline dropped)."""
    found = {}
    for key in SECRET_KEYS:
        path = environ.get(f"{key}_FILE")
        if path:
            if key in environ:
                raise ValueError(f"{key} and {key}_FILE are both set: give one")
            with open(path, encoding="utf-8") as secret:
                found[key] = secret.read().removesuffix("\n")
    return found


def is_demo(settings):
    return settings["APP_ENV"] == "demo"
