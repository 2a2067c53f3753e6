"""A non-editable install (the Docker image's `pip install .`) carries every template, round and data
file: each non-Python file in a package must match the package-data globs of pyproject.toml."""
import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [p.rstrip("*") for p in config["tool"]["setuptools"]["packages"]["find"]["include"]]


def test_the_image_copies_every_package():
    """The Dockerfile copies the packages one by one; a package it leaves out (the command's own,
    taskforce_intake/) makes an image whose entry point cannot start."""
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    copied = {line.split()[1] for line in lines if line.startswith("COPY ") and not line.startswith("COPY --")}
    assert [p for p in _packages() if p not in copied] == []


def test_every_data_file_is_packaged():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]
    missing = []
    for package in _packages():
        for path in (ROOT / package).rglob("*"):
            if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(ROOT / package).as_posix()
            if not any(fnmatch.fnmatch(relative, g) for g in globs.get(package, [])):
                missing.append(f"{package}/{relative}")
    assert missing == [], f"not in [tool.setuptools.package-data]: {missing}"


def test_the_wheel_the_image_installs_runs_outside_the_source_tree(tmp_path):
    """The Dockerfile's `pip install .`, as a wheel built from a copy of the packages, run from another
    folder: the command starts, and `db upgrade` finds its migrations and makes a database at the newest
    version (a migration or template left out of the wheel fails here, not in production)."""
    import shutil
    import subprocess
    import sys
    import zipfile

    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in _packages():
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"),
                            str(source)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("taskforce_intake-*.whl")
    installed = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(installed)
    assert list(installed.glob("storage/migrations/versions/0001_*.py")) and (installed / "storage/migrations/script.py.mako").is_file()

    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "intake.toml").write_text(f'[storage]\nurl = "sqlite:///{work / "intake.db"}"\nfiles = "{work / "files"}"\n', encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(installed), "TASKFORCE_INTAKE_CONFIG": str(work / "intake.toml"),
           "PYTHONNOUSERSITE": "1", "HOME": str(work)}

    def command(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "taskforce_intake", *args], cwd=work, env=env, capture_output=True, text=True)

    where = subprocess.run([sys.executable, "-c", "import taskforce_intake, storage; print(taskforce_intake.__file__, storage.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True)
    assert where.stdout.split() and all(p.startswith(str(installed)) for p in where.stdout.split()), where  # not the source tree
    assert command("--help").returncode == 0
    upgraded = command("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    current = command("db", "current")
    assert current.returncode == 0 and "nyeste" in current.stdout.lower(), current.stdout
