"""Settings that relate two quantities (a sample size and the rows there are, ``top_k`` and the features),
sized down where that is the obvious reading, and said so in the log, naming the setting.

A leaf module: any layer may use it. Settings that cannot be sized down (a ``k`` the rows cannot
hold, folds the smallest class cannot fill) are refused with a :class:`~intentseg.foundation.errors.ConfigError`
by :func:`refuse_above` before the work that needs them.
"""

from __future__ import annotations

import logging

from intentseg.foundation.errors import ConfigError

logger = logging.getLogger(__name__)


def sized_down(setting: str, requested: int, available: int, what: str) -> int:
    """``requested`` capped at ``available`` (the ``what`` there are); a capped value is logged with the setting."""
    if requested <= available:
        return requested
    logger.info("%s: %d asked, but there are only %d %s: using %d", setting, requested, available, what, available)
    return available


def refuse_above(setting: str, requested: int, allowed: int, rule: str) -> None:
    """Refuse ``setting`` when ``requested`` exceeds ``allowed``: one message naming the setting, the rule and both values."""
    if requested > allowed:
        raise ConfigError(f"{setting}: {requested} is more than {allowed}, {rule}")
