"""Benchmarks: `python -m bench [section ...]` prints one JSON object.

Each module in this package with a ``run() -> dict`` function is a section; the
figures it returns are quoted in README. Nothing here is a timed test: ratios are
measured in one run so a busy machine shifts both sides alike.
"""
