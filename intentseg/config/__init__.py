"""Typed, validated parameters: one module per section of ``params.yaml``, on pydantic.

A leaf of the package: it imports nothing of the project but :mod:`intentseg.foundation.errors`. A stage
reads the file once (:func:`base.load_params`), checks all of it (:func:`check.check_params`)
and builds the sections it uses (``ScoreConfig.from_params(params)``); library functions take
these typed objects, never raw dicts. This file imports nothing, so importing one section does
not import the others (each stage's DVC deps name just the sections it reads).
"""
