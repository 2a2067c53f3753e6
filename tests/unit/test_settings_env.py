"""The environment merged into the settings (config/settings.py `apply_environment`): the secrets and
their `_FILE` variants, and `TASKFORCE_INTAKE__SECTION__KEY` overrides typed like TOML.  Pure: the
environment is a mapping handed in, never os.environ."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from config.settings import SECRETS, ConfigError, apply_environment, load_settings, parse_settings

PG = "postgresql+psycopg://intake@db.example.dk:5432/intake"


def settings(env: dict[str, str], data: dict | None = None):
    return parse_settings(apply_environment(data or {}, env), "intake.toml", Path("/srv/intake"))


def test_overrides_are_typed_like_toml_and_reach_the_settings():
    s = settings({
        "TASKFORCE_INTAKE__MAILBOX__KIND": "imap",
        "TASKFORCE_INTAKE__MAILBOX__HOST": "imap.example.dk",  # not TOML: the text itself
        "TASKFORCE_INTAKE__MAILBOX__PORT": "143",
        "TASKFORCE_INTAKE__MAILBOX__IDLE": "false",
        "TASKFORCE_INTAKE__MAILBOX__ANSWER_FROM": "2025-03-01T00:00",
        "TASKFORCE_INTAKE__MAILBOX__DONE_FOLDER": '"Ansøgninger/Behandlet"',
        "TASKFORCE_INTAKE__STORAGE__URL": PG,
        "TASKFORCE_INTAKE__WEB__PORT": "8081",
        "TASKFORCE_INTAKE__WEB__TRUSTED_PROXIES": '["10.0.0.1", "10.0.0.2"]',
        "TASKFORCE_INTAKE__TIMEZONE": "Europe/Berlin",
    })
    assert (s.mailbox.kind, s.mailbox.host, s.mailbox.port, s.mailbox.idle) == ("imap", "imap.example.dk", 143, False)
    assert s.mailbox.answer_from == dt.datetime(2025, 3, 1, tzinfo=s.timezone) and str(s.timezone) == "Europe/Berlin"
    assert s.mailbox.done_folder == "Ansøgninger/Behandlet" and s.database_url == PG
    assert (s.web.port, s.web.trusted_proxies, s.web.secure_cookies) == (8081, ("10.0.0.1", "10.0.0.2"), True)


def test_an_override_wins_over_the_file_and_leaves_the_data_as_it_was():
    data = {"web": {"port": 8080, "host": "0.0.0.0"}, "mailbox": {"password_file": "/nowhere"}}
    merged = apply_environment(data, {"TASKFORCE_INTAKE__WEB__PORT": "9000", "TASKFORCE_INTAKE__MAILBOX__PASSWORD": "x"})
    assert merged["web"] == {"port": 9000, "host": "0.0.0.0"} and merged["mailbox"] == {"password": "x"}
    assert data == {"web": {"port": 8080, "host": "0.0.0.0"}, "mailbox": {"password_file": "/nowhere"}}


def test_an_empty_variable_and_unrelated_variables_change_nothing():
    env = {"TASKFORCE_INTAKE__WEB__PORT": "", "TASKFORCE_INTAKE_NOW": "2025-03-25T12:00:00+01:00", "TASKFORCE_INTAKE_CONFIG": "x.toml",
           "TASKFORCE_INTAKE_IMAP_PASSWORD": "", "PATH": "/usr/bin"}
    assert apply_environment({"web": {"port": 8080}}, env) == {"web": {"port": 8080}}


@pytest.mark.parametrize("variable, says", [
    ("TASKFORCE_INTAKE__WEB__PROT", "[web] har ingen nøgle 'prot' (kendte: host, login_attempts_per_minute, port,"),
    ("TASKFORCE_INTAKE__MAILBX__HOST", "der er ingen sektion [mailbx]"),
    ("TASKFORCE_INTAKE__DATABASE_URL", "øverste niveau har ingen nøgle 'database_url'"),
    ("TASKFORCE_INTAKE__WEB", "[web] er en sektion"),
    ("TASKFORCE_INTAKE__ROUNDS__ID", "[[rounds]] sættes kun i konfigurationsfilen"),
    ("TASKFORCE_INTAKE__WEB__PORT__X", "skriv TASKFORCE_INTAKE__SEKTION__NØGLE"),
    ("TASKFORCE_INTAKE__", "skriv TASKFORCE_INTAKE__SEKTION__NØGLE"),
])
def test_an_unknown_section_or_key_is_a_config_error_naming_the_variable(variable, says):
    with pytest.raises(ConfigError) as error:
        apply_environment({}, {variable: "1"})
    assert str(error.value).startswith(f"miljøvariablen {variable}: ") and says in str(error.value)


def test_a_key_the_file_has_but_no_dataclass_names_may_be_overridden():
    """A section another part of the service reads (or a newer key) is known from the file itself."""
    assert apply_environment({"monitoring": {"port": 9100}}, {"TASKFORCE_INTAKE__MONITORING__PORT": "9200"}) == {"monitoring": {"port": 9200}}


def test_a_wrong_value_from_the_environment_names_the_key_and_the_variable():
    with pytest.raises(ConfigError, match=r"^intake.toml: \[web\] port \(fra miljøvariablen TASKFORCE_INTAKE__WEB__PORT\) "
                                          r"skal være et helt tal, ikke 'otte'$"):
        settings({"TASKFORCE_INTAKE__WEB__PORT": "otte"})
    with pytest.raises(ConfigError, match=r"\[mailbox\] kind \(fra miljøvariablen TASKFORCE_INTAKE__MAILBOX__KIND\) = 'pop3'"):
        settings({"TASKFORCE_INTAKE__MAILBOX__KIND": "pop3"})
    with pytest.raises(ConfigError, match=r"^intake.toml: \[web\] port skal være et helt tal"):  # from the file: no variable named
        settings({}, {"web": {"port": "otte"}})


FIELDS = {  # ([section], key) -> the value as the settings hold it
    ("mailbox", "password"): lambda s: s.mailbox.password,
    ("mailbox", "client_secret"): lambda s: s.mailbox.oauth.client_secret,
    ("delivery", "password"): lambda s: s.delivery.password,
    ("delivery", "client_secret"): lambda s: s.delivery.oauth.client_secret,
    ("", "secret_key"): lambda s: s.secret_key,
    ("storage", "password"): lambda s: make_url(s.database_url).password,
    ("monitoring", "metrics_token"): lambda s: s.monitoring.metrics_token,
}
PG_DATA = {"storage": {"url": PG}}


@pytest.mark.parametrize("variable", sorted(SECRETS))
def test_every_secret_comes_from_its_variable_or_its_file(variable, tmp_path):
    read = FIELDS[SECRETS[variable]]
    assert read(settings({variable: "fra-miljøet"}, PG_DATA)) == "fra-miljøet"
    secret = tmp_path / "secret"
    secret.write_text("fra-filen\n", encoding="utf-8")  # a Docker secret ends in a newline
    assert read(settings({f"{variable}_FILE": str(secret)}, PG_DATA)) == "fra-filen"
    assert read(settings({f"{variable}_FILE": str(secret), variable: "fra-miljøet"}, PG_DATA)) == "fra-miljøet"


def test_a_secret_from_the_environment_wins_over_the_file_and_its_file_key(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("fra-filen", encoding="utf-8")
    data = {"mailbox": {"password": "i-toml", "password_file": "/does/not/exist"}}
    assert settings({"TASKFORCE_INTAKE_IMAP_PASSWORD_FILE": str(secret)}, data).mailbox.password == "fra-filen"
    assert settings({"TASKFORCE_INTAKE_IMAP_PASSWORD": "fra-miljøet"}, data).mailbox.password == "fra-miljøet"
    assert settings({}, {"mailbox": {"password": "i-toml"}}).mailbox.password == "i-toml"


def test_an_unreadable_secret_file_names_the_variable():
    with pytest.raises(ConfigError, match=r"^intake.toml: \[mailbox\] password_file \(fra miljøvariablen TASKFORCE_INTAKE_IMAP_PASSWORD_FILE\) "
                                          r"= '/run/secrets/mangler': filen kan ikke læses \(No such file or directory\)$"):
        settings({"TASKFORCE_INTAKE_IMAP_PASSWORD_FILE": "/run/secrets/mangler"})


@pytest.mark.parametrize("password", ["p@ss:w/rd%#?", "æøå &= +~'\"", "x@y"])
def test_the_database_password_is_put_into_the_url_so_the_driver_gets_it_exactly(password):
    url = settings({"TASKFORCE_INTAKE_DATABASE_PASSWORD": password}, PG_DATA).database_url
    parsed = make_url(url)
    assert (parsed.password, parsed.username, parsed.host, parsed.port, parsed.database) == (password, "intake", "db.example.dk", 5432, "intake")
    engine = create_engine(url)  # what psycopg would be handed (no connection is made)
    _, kwargs = engine.dialect.create_connect_args(engine.url)
    assert kwargs["password"] == password and kwargs["host"] == "db.example.dk"


def test_the_database_password_replaces_one_in_the_url_and_is_not_shown():
    s = settings({"TASKFORCE_INTAKE_DATABASE_PASSWORD": "ny"}, {"storage": {"url": "postgresql+psycopg://intake:gammel@db/intake"}})
    assert make_url(s.database_url).password == "ny"
    assert "ny" not in repr(s).replace("nyt", "") and "database_url" not in repr(s)
    assert "hemmelig" not in repr(settings({"TASKFORCE_INTAKE_IMAP_PASSWORD": "hemmelig", "TASKFORCE_INTAKE_SMTP_PASSWORD": "hemmelig"}))


def test_a_database_password_for_sqlite_is_a_config_error():
    with pytest.raises(ConfigError, match=r"\[storage\] password \(fra miljøvariablen TASKFORCE_INTAKE_DATABASE_PASSWORD\): "
                                          r"en SQLite-database har ingen adgangskode"):
        settings({"TASKFORCE_INTAKE_DATABASE_PASSWORD": "x"})


def test_load_settings_merges_the_environment_it_is_given(tmp_path):
    config = tmp_path / "intake.toml"
    config.write_text('[storage]\nurl = "postgresql+psycopg://intake@db/intake"\n[web]\nport = 8080\n', encoding="utf-8")
    s = load_settings(config, env={"TASKFORCE_INTAKE__WEB__PORT": "8081", "TASKFORCE_INTAKE_DATABASE_PASSWORD": "p@ss"})
    assert s.web.port == 8081 and make_url(s.database_url).password == "p@ss"
    assert load_settings(None, env={"TASKFORCE_INTAKE_CONFIG": str(config)}).web.port == 8080
    assert load_settings(None, env={"TASKFORCE_INTAKE__WEB__PORT": "8082"}).source == "indbygget standard"


@pytest.mark.parametrize("text", ["493817", "0x1f", "1e10", "true", '"abc"', "2025-03-25"])
def test_a_secret_override_is_its_text_as_typed_and_never_printed(text):
    """A password that looks like a number, a boolean, a date or a quoted string is still that text."""
    chosen = load_settings(env={"TASKFORCE_INTAKE__MAILBOX__PASSWORD": text, "TASKFORCE_INTAKE__SECRET_KEY": text,
                                "TASKFORCE_INTAKE__MONITORING__METRICS_TOKEN": text})
    assert chosen.mailbox.password == text and chosen.secret_key == text and chosen.monitoring.metrics_token == text


def test_a_text_key_given_a_number_in_the_environment_takes_the_text():
    chosen = load_settings(env={"TASKFORCE_INTAKE__MAILBOX__USERNAME": "12345", "TASKFORCE_INTAKE__MAILBOX__FOLDER": "2025",
                                "TASKFORCE_INTAKE__WEB__PORT": "8081"})
    assert (chosen.mailbox.username, chosen.mailbox.folder, chosen.web.port) == ("12345", "2025", 8081)


def test_a_secret_of_the_wrong_kind_in_the_file_is_refused_without_its_value():
    with pytest.raises(ConfigError) as refused:
        parse_settings({"mailbox": {"password": 493817}}, "intake.toml", Path("/tmp"))
    assert "[mailbox] password skal være tekst" in str(refused.value) and "493817" not in str(refused.value)
