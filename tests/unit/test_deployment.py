"""The container set-up as the agency's IT runs it (no Docker engine here, so these read the files the
engine would): the image installs its system packages with the same script and lists `make test` runs,
runs as a user of its own, and compose wires the database, the migrations, two workers and the web app
with healthchecks and secrets as files."""
from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def _lists(text: str) -> set[str]:
    """The package lists an `ensure-system.sh` call in `text` names."""
    calls = re.findall(r"ensure-system\.sh((?: +[a-z$][^\s\\&;]*)+)", text)
    return {word for call in calls for word in call.split() if re.fullmatch(r"[a-z]+", word)}


def test_the_image_and_the_tests_install_with_one_script():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "runtime" in _lists(makefile) and "test" in _lists(makefile)
    assert "runtime" in _lists(DOCKERFILE)
    assert "COPY scripts/ensure-system.sh" in DOCKERFILE and "COPY scripts/packages" in DOCKERFILE
    assert 'WITH_LIBREOFFICE" = "true" ] && echo office' in DOCKERFILE
    for name in ("runtime", "office", "test"):
        assert (ROOT / "scripts" / "packages" / f"{name}.txt").is_file()
    runtime = (ROOT / "scripts/packages/runtime.txt").read_text(encoding="utf-8").split()
    assert {"tesseract-ocr", "tesseract-ocr-dan"} <= set(runtime)


def test_an_unknown_package_list_is_refused():
    done = subprocess.run(["bash", str(ROOT / "scripts/ensure-system.sh"), "runtiem"], capture_output=True, text=True)
    assert done.returncode == 2 and "unknown package list 'runtiem'" in done.stderr and "runtime" in done.stderr


def test_the_image_is_built_in_two_stages_and_runs_unprivileged():
    stages = re.findall(r"^FROM \S+ AS (\w+)$", DOCKERFILE, flags=re.M)
    assert stages == ["build", "runtime"]
    runtime = DOCKERFILE.split("AS runtime", 1)[1]
    assert "COPY --from=build /opt/taskforce-intake /opt/taskforce-intake" in runtime
    users = re.findall(r"^USER (\S+)$", runtime, flags=re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*taskforce-intake\", \"health", runtime, flags=re.M)
    assert "pip install" not in runtime  # no compilers or pip caches in the final stage


def test_compose_runs_migrations_before_two_workers_and_the_web_app():
    services = _compose()["services"]
    assert set(services) == {"db", "migrate", "bot", "web"}
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("bot", "web"):
        assert services[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert services["bot"]["command"] == ["run"] and services["bot"]["deploy"]["replicas"] == 2
    assert services["web"]["command"][0] == "serve"
    for name in ("db", "bot", "web"):
        assert services[name]["healthcheck"]["test"], name
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["bot"]["healthcheck"]["test"] == ["CMD", "taskforce-intake", "health"]


def test_compose_keeps_data_in_named_volumes_and_secrets_in_files():
    compose = _compose()
    assert set(compose["volumes"]) == {"pgdata", "files"}
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["db"]["volumes"]
    for name in ("migrate", "bot", "web"):
        service = compose["services"][name]
        assert "files:/var/lib/taskforce-intake/files" in service["volumes"]
        environment = service["environment"]
        secrets = {v for k, v in environment.items() if k.endswith("_FILE")}
        assert secrets == {f"/run/secrets/{s}" for s in service["secrets"]}, name
        assert not [k for k, v in environment.items() if re.search(r"PASSWORD|SECRET", k) and not k.endswith("_FILE")]
        assert "@db:5432/" in environment["TASKFORCE_INTAKE__STORAGE__URL"] and ":" not in environment[
            "TASKFORCE_INTAKE__STORAGE__URL"].split("//", 1)[1].split("@")[0]  # no password in the URL
    assert all("file" in s for s in compose["secrets"].values())


def test_the_example_settings_with_composes_environment_are_what_the_workers_run_with(tmp_path):
    """deploy/intake.example.toml plus compose's variables, with its secret files where compose mounts
    them (here under tmp_path): PostgreSQL with the password from its file, the shared file store, JSON
    logs, the mail passwords from their files, and no secret read from the TOML."""
    from sqlalchemy.engine import make_url

    from config.settings import load_settings

    bot = _compose()["services"]["bot"]
    secrets = {name: f"s3cret-{name}-æ@:/" for name in bot["secrets"]}
    env = {}
    for key, value in bot["environment"].items():
        if key.endswith("_FILE"):
            file = tmp_path / value.rsplit("/", 1)[-1]
            file.write_text(secrets[file.name] + "\n", encoding="utf-8")
            value = str(file)
        env[key] = value
    env["TASKFORCE_INTAKE_CONFIG"] = str(ROOT / "deploy/intake.example.toml")
    settings = load_settings(env=env)
    url = make_url(settings.database_url)
    assert (url.drivername, url.host, url.port, url.database, url.username) == ("postgresql+psycopg", "db", 5432, "intake", "intake")
    assert url.password == secrets["db_password"]
    assert str(settings.files) == "/var/lib/taskforce-intake/files"
    assert settings.monitoring.log_format == "json"
    assert settings.mailbox.password == secrets["imap_password"] and settings.delivery.password == secrets["smtp_password"]
    assert settings.secret_key == secrets["web_secret_key"]
    assert (settings.mailbox.kind, settings.delivery.kind) == ("imap", "smtp")
    example = tomllib.loads((ROOT / "deploy/intake.example.toml").read_text(encoding="utf-8"))
    keys = [k for table in (example, *(v for v in example.values() if isinstance(v, dict))) for k in table]
    assert [k for k in keys if re.search(r"password|secret", k)] == []  # secrets only from their files


def test_the_image_sets_json_logs_the_settings_know():
    """The image's own environment names keys the settings accept (a typo would stop every container)."""
    from config.settings import load_settings

    variables = dict(re.findall(r"(TASKFORCE_INTAKE__[A-Z_]+)=(\S+)", DOCKERFILE))
    assert variables == {"TASKFORCE_INTAKE__MONITORING__LOG_FORMAT": "json"}
    assert load_settings(env=variables).monitoring.log_format == "json"
