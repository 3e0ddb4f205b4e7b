"""Decision rules for "target this customer", chosen on the valid split, never the test split.

- ``max_f1``: the probability threshold with the highest F1 on the valid split;
- ``top_fraction``: target the top ``top_fraction`` of customers (the valid split's quantile);
- ``expected_profit``: target when the expected margin exceeds the contact cost,
  ``p * margin_per_conversion > contact_cost`` (optimal for calibrated probabilities).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from intentseg.config.classifier import DecisionConfig
from intentseg.foundation.metrics import best_f1

RULES = ("max_f1", "top_fraction", "expected_profit")


@dataclass(frozen=True)
class DecisionRule:
    """Target a customer when the calibrated purchase probability is at least ``threshold``."""

    rule: str
    threshold: float

    def select(self, probability: np.ndarray) -> np.ndarray:
        """Boolean mask of customers to target."""
        return np.asarray(probability) >= self.threshold

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def choose_decision_rule(probability: np.ndarray, labels: np.ndarray, config: DecisionConfig) -> DecisionRule:
    """Choose the threshold of ``config.rule`` from calibrated valid-split probabilities and labels.

    The config's ranges (``0 < top_fraction < 1``, positive cost and margin) are checked when it is built.
    """
    if config.rule == "max_f1":
        return DecisionRule(config.rule, best_f1(labels, probability)[1])
    if config.rule == "top_fraction":
        return DecisionRule(config.rule, float(np.quantile(probability, 1 - config.top_fraction)))
    if config.rule == "expected_profit":
        return DecisionRule(config.rule, config.contact_cost / config.margin_per_conversion)
    raise ValueError(f"decision rule must be one of {RULES}, got {config.rule!r}")
