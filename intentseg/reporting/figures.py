"""PNG figures for the human report, drawn from the same small tables as the DVC plots."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from intentseg.foundation.io import png_bytes  # noqa: E402

plt.rcParams.update({"figure.dpi": 110, "font.size": 9, "axes.spines.top": False, "axes.spines.right": False})


def _series_label(column: str, prefix: str) -> str:
    return column.removeprefix(prefix).replace("_", " ")


def curve_figure(records: list[dict[str, Any]], x: str, prefix: str, title: str, xlabel: str, *, ylabel: str) -> Figure:
    """Several curves sharing one x grid (columns starting with ``prefix``)."""
    table = pd.DataFrame(records)
    figure, axis = plt.subplots(figsize=(5, 4))
    for column in [c for c in table.columns if c.startswith(prefix)]:
        axis.plot(table[x], table[column], label=_series_label(column, prefix))
    if x == "false_positive_rate":
        axis.plot([0, 1], [0, 1], color="grey", linestyle=":", label="random")
    axis.set(title=title, xlabel=xlabel, ylabel=ylabel, xlim=(0, 1), ylim=(0, 1.02))
    axis.legend(frameon=False)
    return figure


def calibration_figure(tables: dict[str, list[dict[str, Any]]]) -> Figure:
    """Reliability diagram: observed purchase rate against mean predicted probability per bin."""
    figure, axis = plt.subplots(figsize=(5, 4))
    upper = 0.0
    for name, records in tables.items():
        table = pd.DataFrame(records)
        axis.plot(table["mean_probability"], table["observed_rate"], marker="o", label=name)
        upper = max(upper, table["mean_probability"].max(), table["observed_rate"].max())
    upper = min(1.0, upper * 1.05 + 0.02)
    axis.plot([0, upper], [0, upper], color="grey", linestyle=":", label="perfect calibration")
    axis.set(
        title="Calibration: predicted vs observed",
        xlabel="mean predicted probability",
        ylabel="observed purchase rate",
        xlim=(0, upper),
        ylim=(0, upper),
    )
    axis.legend(frameon=False)
    return figure


SERIES_STYLES = {  # the model thick, the ceiling a thin dashed line on top: both stay visible when they coincide
    "baseline": {"linestyle": "-.", "marker": "s", "linewidth": 1.2, "color": "#c4553b", "zorder": 3},
    "model": {"linestyle": "-", "marker": "o", "linewidth": 3.0, "color": "#3b75af", "zorder": 4},
    "oracle": {"linestyle": "--", "marker": "", "linewidth": 1.0, "color": "black", "zorder": 5},
}


def gains_figure(records: list[dict[str, Any]]) -> Figure:
    """Cumulative share of buyers reached when contacting the top deciles (model, baseline, ceiling)."""
    table = pd.DataFrame(records)
    figure, axis = plt.subplots(figsize=(5, 4))
    for name, style in SERIES_STYLES.items():
        column = f"buyers_reached_{name}"
        if column in table:
            label = "true-probability ceiling" if name == "oracle" else name
            axis.plot(table["share_contacted"], table[column], label=label, markersize=4, **style)
    axis.plot([0, 1], [0, 1], color="grey", linestyle=":", label="random")
    axis.set(
        title="Cumulative gains",
        xlabel="share of customers contacted (by score)",
        ylabel="share of buyers reached",
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    axis.legend(frameon=False)
    return figure


def bar_figure(labels: list[str], values: list[float], title: str, xlabel: str) -> Figure:
    """Horizontal bars, first label on top."""
    figure, axis = plt.subplots(figsize=(6, max(2.5, 0.25 * len(labels) + 1)))
    positions = np.arange(len(labels))[::-1]
    axis.barh(positions, values, color=["#3b75af" if v >= 0 else "#c4553b" for v in values])
    axis.set_yticks(positions, labels)
    axis.set(title=title, xlabel=xlabel)
    axis.axvline(0, color="grey", linewidth=0.8)
    return figure


def confusion_figure(records: list[dict[str, Any]]) -> Figure:
    """2 x 2 confusion matrix with counts."""
    table = pd.DataFrame(records).pivot(index="actual", columns="predicted", values="count")
    table = table.loc[["bought", "did not buy"], ["targeted", "not targeted"]]
    figure, axis = plt.subplots(figsize=(4, 3))
    axis.imshow(table.to_numpy(), cmap="Blues")
    for (row, column), value in np.ndenumerate(table.to_numpy()):
        axis.text(column, row, f"{value:,}", ha="center", va="center")
    axis.set_xticks(range(2), table.columns)
    axis.set_yticks(range(2), table.index)
    axis.set(title="Test split at the chosen threshold", xlabel="decision", ylabel="outcome")
    return figure


def close(figure: Figure) -> None:
    """Release a figure's memory."""
    plt.close(figure)


def classifier_figures(plots: dict[str, list[dict[str, Any]]]) -> dict[str, Figure]:
    """The classifier's report figures, keyed like ``paths.figures.classifier``."""
    coefficients = pd.DataFrame(plots["baseline_coefficients"])  # already the top terms (evaluate.plot_top_terms)
    importance = pd.DataFrame(plots["importance"]).head(len(coefficients))
    return {
        "roc": curve_figure(
            plots["roc"], "false_positive_rate", "tpr_", "ROC curve", "false positive rate", ylabel="true positive rate"
        ),
        "precision_recall": curve_figure(
            plots["precision_recall"], "recall", "precision_", "Precision-recall", "recall", ylabel="precision"
        ),
        "calibration": calibration_figure({"test": plots["calibration_test"], "valid": plots["calibration_valid"]}),
        "gains": gains_figure(plots["gains"]),
        "confusion": confusion_figure(plots["confusion"]),
        "importance": bar_figure(
            importance["feature"].tolist(),
            importance["mean_abs_contribution"].tolist(),
            "What drives the purchase model",
            "mean |contribution| (log-odds)",
        ),
        "baseline_coefficients": bar_figure(
            coefficients["term"].tolist(),
            coefficients["coefficient"].tolist(),
            "Logistic baseline: largest coefficients",
            "coefficient (standardised)",
        ),
    }


def profile_matrix(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Profile records (segment, feature, percentile) as a segment x feature table, in record order."""
    table = pd.DataFrame(records)
    if table.empty:  # no numeric column to place segments on (a table of categoricals only)
        return pd.DataFrame()
    features = list(dict.fromkeys(table["feature"]))
    segments = list(dict.fromkeys(table["segment"]))
    return table.pivot(index="segment", columns="feature", values="percentile").loc[segments, features]


def heatmap_figure(matrix: pd.DataFrame, title: str) -> Figure:
    """Segment profile heatmap: population percentile of each segment's median (50 = the typical customer)."""
    if matrix.empty:
        figure, axis = plt.subplots(figsize=(5.0, 1.5))
        axis.axis("off")
        axis.text(0.5, 0.5, "no numeric column to profile the segments on", ha="center", va="center")
        axis.set_title(title)
        return figure
    figure, axis = plt.subplots(figsize=(1.0 + 0.75 * matrix.shape[1], 1.2 + 0.45 * matrix.shape[0]))
    values = matrix.to_numpy(dtype=float)
    axis.imshow(values, cmap="RdBu_r", vmin=0, vmax=100, aspect="auto")
    for (row, column), value in np.ndenumerate(values):
        axis.text(column, row, f"{value:.0f}", ha="center", va="center", fontsize=8)
    axis.set_xticks(range(matrix.shape[1]), [c.replace("_", " ") for c in matrix.columns], rotation=40, ha="right")
    axis.set_yticks(range(matrix.shape[0]), matrix.index)
    axis.set_title(title)
    return figure


def k_sweep_figure(records: list[dict[str, Any]], chosen_k: int) -> Figure:
    """Cost per customer and silhouette against k, with the chosen k marked."""
    table = pd.DataFrame(records)
    figure, cost_axis = plt.subplots(figsize=(5.5, 3.8))
    cost_axis.plot(table["k"], table["cost_per_customer"], marker="o", color="#3b75af", label="cost per customer")
    cost_axis.set(xlabel="number of segments k", ylabel="cost per customer", title="Choosing k")
    silhouette_axis = cost_axis.twinx()
    silhouette_axis.plot(table["k"], table["silhouette"], marker="s", color="#c4553b", label="silhouette")
    silhouette_axis.set_ylabel("silhouette (test sample)")
    silhouette_axis.spines["right"].set_visible(True)
    cost_axis.axvline(chosen_k, color="grey", linestyle=":")
    lines = cost_axis.get_lines()[:1] + silhouette_axis.get_lines()
    cost_axis.legend(lines, [line.get_label() for line in lines], frameon=False)
    return figure


def segment_figures(
    plots: dict[str, list[dict[str, Any]]], chosen_k: int, target_words: str = "bought within 30 days"
) -> dict[str, Figure]:
    """The segmentation's report figures, keyed like ``paths.figures.segments`` (``target_words``: the label)."""
    sizes = pd.DataFrame(plots["sizes"])
    return {
        "profile": heatmap_figure(
            profile_matrix(plots["profile"]), "Segment profiles: percentile of the segment median (50 = typical)"
        ),
        "k_sweep": k_sweep_figure(plots["k_sweep"], chosen_k),
        "purchase_rate": bar_figure(
            sizes["segment"].tolist(),
            sizes["purchase_rate"].tolist(),
            f"Share who {target_words}, by segment (test)",
            "share",
        ),
    }


def segment_decile_png(records: list[dict[str, Any]]) -> bytes:
    """:func:`segment_decile_figure` as PNG bytes (the figure released)."""
    figure = segment_decile_figure(records)
    try:
        return png_bytes(figure)
    finally:
        close(figure)


def segment_decile_figure(records: list[dict[str, Any]]) -> Figure:
    """Heat map of customers per segment (rows) and propensity decile (columns), as shares of each segment."""
    table = pd.DataFrame(records)
    counts = table.pivot(index="segment", columns="decile", values="count").fillna(0)
    counts = counts.loc[list(dict.fromkeys(table["segment"]))]
    shares = counts.div(counts.sum(axis=1).replace(0, 1), axis=0) * 100
    figure, axis = plt.subplots(figsize=(8.0, 1.4 + 0.45 * len(shares)))
    axis.imshow(shares.to_numpy(dtype=float), cmap="Blues", vmin=0, aspect="auto")
    for (row, column), value in np.ndenumerate(shares.to_numpy(dtype=float)):
        axis.text(column, row, f"{value:.0f}", ha="center", va="center", fontsize=8)
    axis.set_xticks(range(shares.shape[1]), [f"D{int(d)}" for d in shares.columns])
    axis.set_yticks(range(shares.shape[0]), shares.index)
    axis.set_xlabel("propensity decile (D1 = highest probabilities)")
    axis.set_title("Where each segment sits by propensity: % of the segment in each decile")
    return figure
