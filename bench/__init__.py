"""`make bench`: the hot paths measured against Django's own floor (a no-op view) in one run.

Run with `.venv/bin/python -m bench --help`. Never part of `make test`; the fast smoke test in
tests/bench/ keeps the harness from rotting.
"""
