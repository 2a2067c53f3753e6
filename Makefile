# taskforce-intake — the commands of the README.  Each target installs what it needs.
PY      := .venv/bin/python
BIN     := .venv/bin/taskforce-intake
PYTEST  := .venv/bin/pytest

.PHONY: install demo test bench accuracy lint system clean

install: $(BIN)

$(BIN): pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(BIN)

# System packages the tests drive for real (Dovecot, Tesseract, Chromium, PostgreSQL …).
system:
	bash scripts/ensure-system.sh runtime test

demo: $(BIN)
	PYTHONPATH=. $(PY) scripts/demo.py

test: $(BIN) system lint
	$(PYTEST) -q

# ruff on everything; mypy strict on the pure core (parsers/, bot/rules/), configured in pyproject.toml
lint: $(BIN)
	.venv/bin/ruff check .
	.venv/bin/mypy

# ARGS="--backlog 100" a smaller backlog; ARGS="--only backlog,supplements,profile" (benchmarks/run.py --help)
bench: $(BIN)
	PYTHONPATH=. $(PY) benchmarks/run.py $(ARGS)

# The accuracy corpus (tests/accuracy): the stateless check on >= 320 generated mails, scored
# against the verdicts the spec demands.  ARGS="--fast" skips the scans; ARGS="--family NAME".
accuracy: $(BIN)
	PYTHONPATH=. $(PY) -m tests.accuracy.run $(ARGS)

clean:
	rm -rf var .pytest_cache
