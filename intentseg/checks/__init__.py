"""Checks for CI and review: the committed lock, the reproduced results and the quality gates.

Run as ``python -m intentseg.checks {lock,reproduced,gates}`` (see :mod:`intentseg.checks.__main__`).
"""
