"""The report's uplift section: the uplift model's measurement, the rules at today's budget, last month's readout."""

from __future__ import annotations

from typing import Any

RULE_WORDS = {
    "propensity": "propensity: the decision rule's customers, the most likely to buy",
    "uplift": "uplift: the same number, the largest predicted effect of a contact",
    "uplift_profit": "uplift with profit: predicted effect x margin above the contact cost",
}

READOUT_RULE_WORDS = {"everyone": "everyone (contacting at random)", **{name: name for name in RULE_WORDS}}


def uplift_view(
    uplift: dict[str, Any] | None, targeting: dict[str, Any] | None, export_rule: str = "propensity"
) -> dict[str, Any] | None:
    """What the section shows, from reports/details/uplift.json and targeting.json (None: no uplift stage)."""
    if uplift is None:
        return None
    targeting = targeting or {}
    rules = targeting.get("rules") or {}
    return {
        "model": uplift,
        "oracle": uplift.get("oracle"),  # simulated histories only
        "rules": [{"name": RULE_WORDS[name], **rules[name]} for name in RULE_WORDS if name in rules],
        "targeting": targeting,
        "readout": [row for row in targeting.get("readout") or [] if row["sample"] == "exploration"],
        "by_rule": [
            {**row, "name": READOUT_RULE_WORDS.get(row["rule"], row["rule"])}
            for row in targeting.get("readout_by_rule") or []
        ],
        "true_known": any("true_incremental" in rule for rule in rules.values()),
        "export_rule": export_rule,
    }
