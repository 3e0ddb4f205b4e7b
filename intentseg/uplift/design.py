"""The campaign's randomisation: who is contacted, who is held out, and which rows an uplift model may learn from.

Two randomised groups, both drawn from hashes of the customer id and the month (no random state:
the same customers and month always give the same assignment, a new month a new one):

* **exploration**: in every propensity decile of *all* scored customers, the
  ``round(exploration_share x n)`` customers with the smallest exploration draw; of them, the
  ``round(n_explored / 2)`` with the smallest contact draw are contacted, the others held out. So
  every decile, inside the audience or not, holds contacted and held-out customers, and effects can
  be learned where propensity targeting never contacts anyone;
* **the audience's control group**, as the export has always drawn it: in each decile, the
  ``round(control_share x m)`` audience members (not explored) with the smallest draw are held out,
  the other audience members are contacted.

Everyone else is neither contacted nor randomised. Each randomised customer belongs to a stratum
(group and decile) whose contacted share is exact, and that share is the customer's known
probability of contact: the class-transformation learner and the uplift metrics weight by it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from intentseg.foundation.determinism import id_draw

EXPLORATION, AUDIENCE = "exploration", "audience"


def exploration_draws(ids: pd.Series, month: str) -> np.ndarray:
    """Each customer's exploration draw of the month (the smallest are explored)."""
    return id_draw(ids.astype(str).reset_index(drop=True), f"{month}|exploration")


def explored_rows(draws: np.ndarray, deciles: np.ndarray, share: float) -> np.ndarray:
    """The exploration sample: in each decile, the ``round(share x n)`` customers with the smallest draws."""
    if not 0.0 <= share < 1.0:
        raise ValueError(f"exploration_share: a share in [0, 1), got {share!r}")
    draws, deciles = np.asarray(draws), np.asarray(deciles)
    order = np.lexsort((np.arange(len(draws)), draws, deciles))  # by decile, then draw, then position
    sorted_deciles = deciles[order]
    starts = np.r_[0, np.flatnonzero(sorted_deciles[1:] != sorted_deciles[:-1]) + 1]
    sizes = np.diff(np.r_[starts, len(order)])
    rank = np.arange(len(order)) - np.repeat(starts, sizes)
    quota = np.repeat(np.round(share * sizes).astype(int), sizes)
    explored = np.zeros(len(draws), dtype=bool)
    explored[order[rank < quota]] = True
    return explored


def _smallest(draw: np.ndarray, members: np.ndarray, share: float) -> np.ndarray:
    """The ``round(share x len(members))`` members with the smallest draws (ties by position)."""
    quota = int(round(share * len(members)))
    return members[np.argsort(draw[members], kind="stable")[:quota]]


def assign_contacts(
    ids: pd.Series,
    deciles: np.ndarray,
    in_audience: np.ndarray,
    explored: np.ndarray,
    *,
    month: str,
    control_share: float,
) -> pd.DataFrame:
    """Per customer (in the order given): ``contacted`` (0/1), ``randomised``, ``stratum``, ``contact_probability``.

    ``deciles`` are the customers' propensity deciles, ``in_audience`` marks those propensity
    targeting selects and ``explored`` the exploration sample (:func:`explored_rows`, drawn over
    every scored customer). ``contact_probability`` is the contacted share of the customer's
    stratum (NaN outside the randomised groups).
    """
    ids = ids.astype(str).reset_index(drop=True)
    deciles = np.asarray(deciles)
    in_audience, explored = np.asarray(in_audience, dtype=bool), np.asarray(explored, dtype=bool)
    if not len(deciles) == len(in_audience) == len(explored) == len(ids):
        raise ValueError(f"{len(ids)} ids need as many deciles, audience and exploration flags")
    if not 0.0 <= control_share < 1.0:
        raise ValueError(f"control_share: a share in [0, 1), got {control_share!r}")
    contacted = np.zeros(len(ids), dtype=np.int8)
    stratum = np.full(len(ids), None, dtype=object)
    contact_draw = id_draw(ids, f"{month}|exploration-contact")
    control_draw = id_draw(ids, month)  # the control group's draw as the export has always made it
    for decile in np.unique(deciles):
        members = np.flatnonzero(deciles == decile)
        sample = members[explored[members]]
        contacted[_smallest(contact_draw, sample, 0.5)] = 1
        stratum[sample] = f"{EXPLORATION} {int(decile)}"
        audience = members[in_audience[members] & ~explored[members]]
        held_out = _smallest(control_draw, audience, control_share)
        contacted[np.setdiff1d(audience, held_out)] = 1
        stratum[audience] = f"{AUDIENCE} {int(decile)}"
    frame = pd.DataFrame({"contacted": contacted, "randomised": pd.notna(stratum), "stratum": stratum})
    frame["contact_probability"] = contact_shares(frame)
    return frame


def contact_shares(history: pd.DataFrame) -> np.ndarray:
    """Each randomised row's probability of contact: the contacted share of its stratum (NaN elsewhere).

    Without a ``stratum`` column (a campaign tool's plain export), the randomised rows of one
    month are one stratum.
    """
    randomised = history["randomised"].to_numpy(dtype=bool)
    strata = history["stratum"] if "stratum" in history.columns else pd.Series("all", index=history.index)
    keys = strata.astype(object).where(strata.notna(), "").astype(str)  # a missing stratum is a stratum of its own
    if "month" in history.columns:
        keys = history["month"].astype(object).astype(str) + "|" + keys
    contacted = history["contacted"].to_numpy(dtype=float)
    share = np.full(len(history), np.nan)
    rows = np.flatnonzero(randomised)
    share[rows] = pd.Series(contacted[rows]).groupby(keys.to_numpy()[rows]).transform("mean").to_numpy()
    return share


def learnable(history: pd.DataFrame) -> np.ndarray:
    """Rows an uplift model may learn from and be measured on: randomised, in a stratum with both groups."""
    probability = history["contact_probability"].to_numpy(dtype=float)
    return history["randomised"].to_numpy(dtype=bool) & (probability > 0) & (probability < 1)
