"""A process's peak memory, as benchmarks and the Dask engine report it (standard library only, so that
importing it adds nothing to the peak it measures)."""

from __future__ import annotations

from pathlib import Path


def peak_memory_mb(process: int | str = "self") -> float:
    """A live process's own peak RSS in MB: VmHWM of its address space (Linux).

    ru_maxrss would carry over the peak of the process that spawned it, across fork and exec.
    Elsewhere, this process's ru_maxrss is the best available (another process's: 0).
    """
    status = Path(f"/proc/{process}/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    if process != "self":
        return 0.0
    import resource  # Unix only: imported where it is the fallback

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
