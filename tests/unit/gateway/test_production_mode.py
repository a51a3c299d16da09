"""Production mode refuses to start with anything of the demo setting and says which; its
secrets may come from files."""

import pytest

from gateway import create_app
from gateway.production import UnsafeProduction, faults
from services.common.config import DEFAULTS, load_settings

SAFE = {
    "APP_ENV": "production",
    "TOKEN_SECRET": "t" * 48,
    "BANK_SECRETS": "icbc:" + "b" * 40,
    "AMQP_URI": "amqp://hall:pw@rabbitmq:5672/",
}


def test_a_clean_production_setting_has_no_fault():
    assert faults(load_settings(environ=SAFE), SAFE) == []


def test_every_demo_leftover_is_named_at_once():
    environ = dict(
        SAFE,
        TOKEN_SECRET="short",
        BANK_SECRETS=DEFAULTS["BANK_SECRETS"] + ",icbc:" + "b" * 40,
        AMQP_URI="amqp://guest:guest@127.0.0.1:5672/",
        DEMO_PASSWORD="demo",
        FLASK_DEBUG="1",
    )

    found = faults(dict(load_settings(environ=environ), DEBUG=True), environ)

    assert len(found) == 6
    for words in (
        "TOKEN_SECRET is shorter",
        "demo secret of hall-bank",
        "DEMO_PASSWORD is set",
        "FLASK_DEBUG='1'",
        "DEBUG is on",
        "guest account",
    ):
        assert any(words in fault for fault in found), words


def test_an_unset_bank_secret_is_the_demo_one_and_refused():
    environ = {key: value for key, value in SAFE.items() if key != "BANK_SECRETS"}

    assert faults(load_settings(environ=environ), environ) == [
        "BANK_SECRETS holds the public demo secret of hall-bank (set BANK_SECRETS, empty for no bank)"
    ]


def test_the_gateway_does_not_start_and_says_why(app_config, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo")

    with pytest.raises(UnsafeProduction) as refused:
        create_app(dict(app_config, APP_ENV="production"))

    assert "DEMO_PASSWORD is set" in str(refused.value) and "BANK_SECRETS" in str(refused.value)


def test_demo_mode_is_not_checked(app_config, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")

    assert create_app(app_config).config["APP_ENV"] == "demo"


def test_the_platform_clock_does_not_exist_in_production(app_config, bearer):
    production = create_app(dict(app_config, APP_ENV="production", BANK_SECRETS="")).test_client()

    assert production.post("/api/v1/admin/clock", json={"advance_seconds": 60}).status_code in (401, 404)
    assert production.get("/api/v1/auth/token").status_code == 405


def test_secrets_are_read_from_files(tmp_path):
    (tmp_path / "token").write_text("f" * 48 + "\n")
    (tmp_path / "banks").write_text("icbc:" + "s" * 40)

    settings = load_settings(
        environ={
            "APP_ENV": "production",
            "TOKEN_SECRET_FILE": str(tmp_path / "token"),
            "BANK_SECRETS_FILE": str(tmp_path / "banks"),
        }
    )

    assert settings["TOKEN_SECRET"] == "f" * 48 and settings["BANK_SECRETS"] == "icbc:" + "s" * 40


def test_a_secret_given_twice_is_refused(tmp_path):
    (tmp_path / "token").write_text("f" * 48)

    with pytest.raises(ValueError, match="TOKEN_SECRET and TOKEN_SECRET_FILE"):
        load_settings(environ={"TOKEN_SECRET": "x" * 48, "TOKEN_SECRET_FILE": str(tmp_path / "token")})
