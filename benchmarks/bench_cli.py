"""How fast `aiinfra --help` starts, against the floor of any typer + pydantic CLI.

Prints the median of N fresh interpreter starts for ``aiinfra --help`` and for
``python -c "import typer, pydantic"`` and their ratio (target: under 2x).
Run: ``python benchmarks/bench_cli.py [N]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

TARGET_RATIO = 2.0


def _median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=int, default=7, help="fresh starts per command (default 7)")
    runs = max(1, parser.parse_args().runs)
    floor = _median_seconds([sys.executable, "-c", "import typer, pydantic"], runs)
    helps = _median_seconds([sys.executable, "-m", "aiinfra_iac.cli", "--help"], runs)
    ratio = helps / floor
    print(f"python -c 'import typer, pydantic': {floor * 1000:.0f} ms (median of {runs})")
    print(f"aiinfra --help:                     {helps * 1000:.0f} ms (median of {runs})")
    verdict = "ok" if ratio < TARGET_RATIO else "SLOW"
    print(f"ratio: {ratio:.2f}x (target < {TARGET_RATIO:.0f}x) {verdict}")


if __name__ == "__main__":
    main()
