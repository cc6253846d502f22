"""CPU fallback of gpu-burn: each worker process multiplies two matrices for N seconds and checks
every product against the first one (a stable BLAS gives bit-identical results; any difference is
a fault, as gpu-burn counts it). Writes ``gpu_burn.log`` in gpu-burn's format."""

from __future__ import annotations

import json
import platform
import subprocess
import time
from pathlib import Path

from aiinfra_iac.validate.runners.cpu_worker import spawn_worker
from aiinfra_iac.validate.runners.formats import BurnWorker, gpu_burn_text

MATRIX = 256


def burn(index: int, seconds: float, size: int) -> tuple[int, int, int, float]:
    """One worker: (index, iterations, errors, seconds spent)."""
    import numpy as np

    rng = np.random.default_rng(1234 + index)
    a = rng.standard_normal((size, size))
    b = rng.standard_normal((size, size))
    reference = a @ b
    iterations = errors = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        product = a @ b
        errors += int(np.count_nonzero(product != reference))
        iterations += 1
        if time.perf_counter() >= deadline:
            break
    return index, iterations, errors, time.perf_counter() - start


def cpu_temperature() -> int | None:
    """The first thermal zone's temperature in °C, or None where the kernel exposes none (VMs)."""
    try:
        return int(Path("/sys/class/thermal/thermal_zone0/temp").read_text().strip()) // 1000
    except (OSError, ValueError):
        return None


def run_cpu_burn(out_file: Path, *, workers: int, seconds: float, size: int = MATRIX) -> Path:
    """Burn ``workers`` CPU "GPUs" for ``seconds`` and write gpu-burn's output to ``out_file``."""
    return run_cpu_burns([out_file], workers=workers, seconds=seconds, size=size)[0]


def run_cpu_burns(out_files: list[Path], *, workers: int, seconds: float, size: int = MATRIX) -> list[Path]:
    """Burn every node of ``out_files`` at once (as nodes of a cluster would), one log per node."""
    procs = [
        [spawn_worker("burn", str(i), repr(seconds), str(size)) for i in range(workers)] for _ in out_files
    ]
    for out_file, node_procs in zip(out_files, procs, strict=True):
        _write_log(out_file, node_procs, workers, seconds, size)
    return out_files


def _write_log(
    out_file: Path, procs: list[subprocess.Popen[str]], workers: int, seconds: float, size: int
) -> None:
    header = [f"# aiinfra CPU fallback of gpu-burn: {workers} workers, {seconds:g} s"]
    done: list[tuple[int, int, int, float]] = []
    for index, proc in enumerate(procs):
        out, err = proc.communicate(timeout=seconds + 120)
        if proc.returncode != 0:
            # a crashed worker is a faulty "GPU", as gpu-burn reports a dead worker
            done.append((index, 0, 1, seconds))
            header.append(f"worker {index} died (exit {proc.returncode}): {err.strip()[-200:]}")
            continue
        i, it, errors, spent = json.loads(out.strip().splitlines()[-1])
        done.append((int(i), int(it), int(errors), float(spent)))
    flops = 2.0 * size**3
    name = f"CPU worker (numpy float64 {size}x{size} matmul, {platform.processor() or platform.machine()})"
    burned = [
        BurnWorker(index=i, name=name, iterations=it, gflops=flops * it / max(spent, 1e-9) / 1e9, errors=err)
        for i, it, err, spent in sorted(done)
    ]
    out_file.parent.mkdir(parents=True, exist_ok=True)
    text = gpu_burn_text(burned, round(seconds), header=header, temp_c=cpu_temperature())
    out_file.write_text(text, encoding="utf-8")
