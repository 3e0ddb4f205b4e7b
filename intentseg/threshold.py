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

from intentseg.metrics import best_f1

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


def choose_decision_rule(
    probability: np.ndarray,
    labels: np.ndarray,
    rule: str,
    top_fraction: float = 0.2,
    contact_cost: float = 1.0,
    margin_per_conversion: float = 10.0,
) -> DecisionRule:
    """Choose the threshold of ``rule`` from calibrated valid-split probabilities and labels."""
    if rule == "max_f1":
        return DecisionRule(rule, best_f1(labels, probability)[1])
    if rule == "top_fraction":
        if not 0 < top_fraction < 1:
            raise ValueError(f"top_fraction must be in (0, 1), got {top_fraction}")
        return DecisionRule(rule, float(np.quantile(probability, 1 - top_fraction)))
    if rule == "expected_profit":
        if contact_cost <= 0 or margin_per_conversion <= 0:
            raise ValueError("contact_cost and margin_per_conversion must be positive")
        return DecisionRule(rule, contact_cost / margin_per_conversion)
    raise ValueError(f"decision rule must be one of {RULES}, got {rule!r}")
