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
    copied = {line.split()[1] for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines() if line.startswith("COPY ")}
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
