"""Results that reproduce on other machines: single-threaded BLAS in small fits, stored precision.

Floating-point sums depend on their order, and BLAS kernels (OpenBLAS picks one per CPU: Haswell,
SkylakeX, ...) and thread counts change that order, so a fit can move in its last bits from one
machine to the next. Two cheap measures make the stored models byte-identical across machines in
practice (see docs/reproducibility.md for what is and is not guaranteed):

* fits that go through BLAS run with one BLAS thread (:func:`single_threaded_blas`), so the
  thread count of the machine does not matter;
* fitted parameters are solved to convergence (Newton's method) and then stored rounded to
  :data:`STORED_SIGNIFICANT_DIGITS` significant digits (:func:`round_significant`). A difference
  in the 15th digit survives that rounding only when a value sits on a rounding boundary.

The CI gate never relies on byte identity: it compares results with stated tolerances.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

STORED_SIGNIFICANT_DIGITS = 10


def round_significant(values: Any, digits: int = STORED_SIGNIFICANT_DIGITS) -> Any:
    """``values`` (a float, an array, or a list of floats) rounded to ``digits`` significant digits.

    Returns plain Python floats (lists for arrays), ready for JSON.
    """
    array = np.asarray(values, dtype=float)
    rounded = [float(f"{value:.{digits}g}") for value in array.ravel()]
    return rounded[0] if array.ndim == 0 else np.asarray(rounded).reshape(array.shape).tolist()


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the block with one BLAS thread (the result then does not depend on the core count)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def id_draw(ids: pd.Series, key: str) -> np.ndarray:
    """A number in [0, 1) per id, fixed by the id and ``key``: no random state, the same on every machine.

    SipHash-2-4 of the id's text (pandas' vectorised :func:`pandas.util.hash_array`, about 0.3 s per
    million ids), keyed by the first 16 hex digits of SHA-256 of ``key``: another key (a new month,
    another purpose) gives independent numbers. A test pins known values, so a pandas upgrade
    that changed the hash would be caught before it moved anyone's group.
    """
    hash_key = hashlib.sha256(key.encode()).hexdigest()[:16]
    values = pd.util.hash_array(ids.astype(str).to_numpy(dtype=object), hash_key=hash_key, categorize=False)
    return (values >> np.uint64(11)).astype(np.float64) / 2.0**53
