"""Entry point of one CPU-fallback worker process (``python -m aiinfra_iac.validate.runners.cpu_worker``).

Workers are separate interpreters started with :func:`spawn_worker`, so the fallback never depends
on how the calling program's ``__main__`` is guarded. ``burn INDEX SECONDS SIZE`` prints one JSON
line ``[index, iterations, errors, seconds]``; ``collective RANK WORLD PORT JOBS.json`` runs the
rank's part of every collective run listed in the file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from aiinfra_iac.childproc import child_env, track
from aiinfra_iac.validate.runners.cpu_env import SINGLE_THREAD


def spawn_worker(*args: str) -> subprocess.Popen[str]:
    """Start a worker with one BLAS/OpenMP thread, in its own process group (tracked, so an
    interrupted run kills it), with the allow-listed environment."""
    return track(
        subprocess.Popen(
            [sys.executable, "-m", "aiinfra_iac.validate.runners.cpu_worker", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(SINGLE_THREAD),
            start_new_session=True,
        )
    )


def main(argv: list[str]) -> int:
    if argv[:1] == ["burn"] and len(argv) == 4:
        from aiinfra_iac.validate.runners.cpu_burn import burn

        print(json.dumps(burn(int(argv[1]), float(argv[2]), int(argv[3]))))
        return 0
    if argv[:1] == ["collective"] and len(argv) == 5:
        from aiinfra_iac.validate.runners.cpu_collective import rank_main, runs_from_json

        runs = runs_from_json(Path(argv[4]).read_text(encoding="utf-8"))
        rank_main(int(argv[1]), int(argv[2]), int(argv[3]), runs)
        return 0
    print(
        f"usage: cpu_worker burn INDEX SECONDS SIZE | collective RANK WORLD PORT JOBS.json; got {argv}",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
