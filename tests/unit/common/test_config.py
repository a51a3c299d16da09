"""One settings loader: defaults for the embedded demo, overridden by the environment."""

import pytest

from services.common.config import is_demo, load_settings


def test_defaults_are_the_embedded_demo_setting():
    settings = load_settings({})

    assert settings["APP_ENV"] == "demo" and is_demo(settings)
    assert settings["GATEWAY_PORT"] == 8080
    assert settings["DEMO_PASSWORD"] == "demo"
    assert settings["RPC_TIMEOUT_SECONDS"] == 10.0
    assert settings["AMQP_URI"].startswith("amqp://")
    assert settings["MONGO_URI"].startswith("mongodb://")


def test_environment_overrides_defaults():
    settings = load_settings({"AMQP_URI": "amqp://hall:pw@broker:5672/", "CATALOG_DIR": "/srv/catalog"})

    assert settings["AMQP_URI"] == "amqp://hall:pw@broker:5672/"
    assert settings["CATALOG_DIR"] == "/srv/catalog"


def test_process_environment_is_read_by_default(monkeypatch):
    monkeypatch.setenv("GATEWAY_PORT", "9191")

    assert load_settings()["GATEWAY_PORT"] == 9191


def test_keyword_overrides_win_over_the_environment():
    assert load_settings({"GATEWAY_PORT": "9000"}, GATEWAY_PORT="9001")["GATEWAY_PORT"] == 9001


def test_numbers_from_the_environment_are_parsed():
    settings = load_settings(
        {"GATEWAY_PORT": "9090", "TOKEN_TTL_SECONDS": "60", "METRICS_PORT": "9464", "RPC_TIMEOUT_SECONDS": "2.5"}
    )

    assert (settings["GATEWAY_PORT"], settings["TOKEN_TTL_SECONDS"], settings["METRICS_PORT"]) == (9090, 60, 9464)
    assert settings["RPC_TIMEOUT_SECONDS"] == 2.5


@pytest.mark.parametrize("key", ["GATEWAY_PORT", "TOKEN_TTL_SECONDS", "METRICS_PORT", "RPC_TIMEOUT_SECONDS"])
def test_non_numeric_number_setting_is_refused(key):
    with pytest.raises(ValueError):
        load_settings({key: "eighty"})


def test_production_is_not_demo():
    assert not is_demo(load_settings({"APP_ENV": "production", "TOKEN_SECRET": "s" * 40}))


def test_production_refuses_the_public_default_token_secret():
    with pytest.raises(ValueError, match="TOKEN_SECRET"):
        load_settings({"APP_ENV": "production"})


@pytest.mark.parametrize("app_env", ["staging", "Production", ""])
def test_unknown_app_env_is_refused(app_env):
    with pytest.raises(ValueError, match="APP_ENV"):
        load_settings({"APP_ENV": app_env})
