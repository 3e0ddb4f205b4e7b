"""The project's own error types: a user's mistake or bad input, reported by a stage as one clear message.

Stages catch :class:`ProjectError` (see :func:`intentseg.foundation.runlog.run_stage`) and print its message
without a traceback; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations


class ProjectError(ValueError):
    """Base class: something the user can fix (a setting, a file, a model file)."""


class ConfigError(ProjectError):
    """``params.yaml`` has an unknown, missing, mistyped or impossible setting; the message lists each."""


class DataContractError(ProjectError):
    """A table broke the data contract; the message lists every broken rule."""


class FeatureMismatchError(ProjectError):
    """A frame's columns do not match the columns a model was trained on."""


class ModelFileError(ProjectError):
    """A model file is inconsistent with its metadata (edited by hand or corrupted)."""


class WarehouseError(ProjectError):
    """A database could not be reached, or a query or write failed (the message names which)."""
