"""The readers can be imported before the settings in any order (odfpy appends its own folder, which
holds a `config.py`, to sys.path when its modules are imported: done at import time, that shadowed our
`config` package in the installed `taskforce-intake` command, whose working folder is not on the path)."""
import subprocess
import sys


def test_the_readers_do_not_shadow_the_config_package():
    code = "import parsers.documents, parsers.reading; import config.settings; print(config.settings.__name__)"
    result = subprocess.run([sys.executable, "-c", code], cwd="/", capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "config.settings"
