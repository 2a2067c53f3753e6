# taskforce-intake — the commands of the README.  Each target installs what it needs.
PY      := .venv/bin/python
BIN     := .venv/bin/taskforce-intake
PYTEST  := .venv/bin/pytest

.PHONY: install demo test bench system clean

install: $(BIN)

$(BIN): pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(BIN)

# System packages the tests drive for real (Dovecot, Tesseract, Chromium, PostgreSQL …).
system:
	bash scripts/ensure-system.sh

demo: $(BIN)
	PYTHONPATH=. $(PY) scripts/demo.py

test: $(BIN) system
	$(PYTEST) -q

bench: $(BIN)
	PYTHONPATH=. $(PY) benchmarks/run.py

clean:
	rm -rf var .pytest_cache
