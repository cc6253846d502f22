"""Environment of CPU-fallback worker processes: one BLAS/OpenMP thread each, so N workers use N cores."""

from __future__ import annotations

import os

SINGLE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "GOTO_NUM_THREADS": "1",
}


def default_workers() -> int:
    """CPU "GPUs" per node when the plan does not say: two, or one on a one-core machine."""
    return max(1, min(2, os.cpu_count() or 1))
