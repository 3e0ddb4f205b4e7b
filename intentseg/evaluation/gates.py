"""Quality gates: the bars of ``params.yaml`` ``gates:`` on this run's metrics, beside a base run's values.

The gates themselves (which metric each reads) are defined in :mod:`intentseg.config.gates`.

The gate table shows, for each gate, the bar, the base branch's value, this run's value, the
change, whether it is larger than the noise (half the 95% bootstrap interval) and pass or fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from intentseg.config.gates import GATES


def lookup(data: dict[str, Any], dotted: str) -> Any:
    """The value at ``dotted`` (None when absent); ``a/b`` divides two values; lists count their entries."""
    if "/" in dotted:
        numerator, denominator = (lookup(data, part) for part in dotted.split("/"))
        if numerator is None or denominator is None:
            return None
        return numerator / denominator if denominator else 0.0
    node: Any = data
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return len(node) if isinstance(node, list) and not dotted.endswith("_ci") else node


@dataclass(frozen=True)
class GateRow:
    """One line of the gate table."""

    gate: str
    description: str
    bar: str
    base: float | None
    value: float | None
    passed: bool | None  # None: the metric does not exist for this data (e.g. no oracle on real data)
    interval: tuple[float, float] | None = None  # this run's 95% interval of the value

    @property
    def noise(self) -> float | None:
        """Half-width of this run's 95% interval."""
        return None if self.interval is None else (self.interval[1] - self.interval[0]) / 2

    @property
    def change(self) -> float | None:
        return None if self.base is None or self.value is None else self.value - self.base

    @property
    def beyond_noise(self) -> bool | None:
        if self.change is None or self.noise is None:
            return None
        return abs(self.change) > self.noise


def gate_rows(
    metrics: dict[str, dict[str, Any]], base: dict[str, dict[str, Any]] | None, gates: dict[str, float]
) -> list[GateRow]:
    """Evaluate every gate on this run's metrics, beside the base run's values."""
    unknown = sorted(set(gates) - set(GATES))
    if unknown:
        raise ValueError(f"unknown gate(s) {unknown} in params.yaml gates: (known: {', '.join(GATES)})")
    rows = []
    for name, threshold in gates.items():
        gate = GATES[name]
        value = lookup(metrics.get(gate.source, {}), gate.path)
        base_value = lookup(base.get(gate.source, {}), gate.path) if base is not None else None
        found = lookup(metrics.get(gate.source, {}), gate.interval) if gate.interval else None
        interval = (float(found[0]), float(found[1])) if isinstance(found, list) and len(found) == 2 else None
        judged = interval[1] if gate.judged_on == "interval_high" and interval else value
        passed = None if judged is None else (judged >= threshold if gate.kind == "min" else judged <= threshold)
        bar = f"{'>=' if gate.kind == 'min' else '<='} {threshold:g}"
        bar = f"interval top {bar}" if gate.judged_on == "interval_high" else bar
        rows.append(GateRow(name, gate.description, bar, base_value, value, passed, interval))
    return rows


def failure_messages(rows: list[GateRow], gates: dict[str, float]) -> list[str]:
    """One message per gate missed; gates whose metric is absent (e.g. no oracle on real data) are skipped."""
    return [_failure(row, gates[row.gate]) for row in rows if row.passed is False]


def _failure(row: GateRow, bar: float) -> str:
    gate = GATES[row.gate]
    where = f"(metrics {gate.source!r}, {gate.path})"
    if gate.judged_on == "interval_high":
        low, high = row.interval or (row.value, row.value)
        return (
            f"gate {row.gate}: {row.description} is {row.value:+.4g} (95% interval {low:+.4g} to {high:+.4g}): "
            f"even the top of the interval is below the minimum {bar}, so it is worse beyond noise {where}"
        )
    side = "below the minimum" if gate.kind == "min" else "above the maximum"
    return f"gate {row.gate}: {row.description} is {row.value:.4g}, {side} {bar} {where}"


def gate_failures(metrics: dict[str, dict[str, Any]], gates: dict[str, float]) -> list[str]:
    """:func:`failure_messages` of this run's metrics alone."""
    return failure_messages(gate_rows(metrics, None, gates), gates)


def _number(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def format_gate_table(rows: list[GateRow], base_name: str, markdown: bool) -> str:
    """The gate table as Markdown (PR comment) or aligned text (terminal)."""
    header = ["gate", "bar", base_name, "this run", "change", "noise (95% CI half-width)", "beyond noise", "result"]
    lines = [
        [
            row.gate,
            row.bar,
            _number(row.base),
            _number(row.value),
            _number(row.change, signed=True),
            _number(row.noise),
            {True: "yes", False: "no", None: "n/a"}[row.beyond_noise],
            {True: "pass", False: "FAIL", None: f"skipped ({GATES[row.gate].absent})"}[row.passed],
        ]
        for row in rows
    ]
    if markdown:
        return "\n".join(
            ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            + ["| " + " | ".join(line) + " |" for line in lines]
        )
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)) for line in [header, *lines])
