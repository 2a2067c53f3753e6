"""The accuracy corpus (issue 9): application mails built combinatorially, each with the verdict the
spec (DOMAIN.md / CONTRACT.md) demands, and a runner that scores the product's stateless check on them.

The documents here are written without knowledge of the product's reader: own layouts and wordings
(`documents.py`), the generic renderers of `tests/factories/images.py` and `scans.py` only."""
