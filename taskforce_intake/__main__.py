"""`python -m taskforce_intake …` is the `taskforce-intake` command."""
import sys

from taskforce_intake.cli import app

sys.exit(app())
