"""Per-node checks as Slurm job steps: one ``srun`` per check across the pool, launched from the
controller, its output labelled per task (``srun --label``) and split back into the results layout.

Each task first prints ``<MARK> <node name>`` so the split does not depend on Slurm's task-to-node
order; a task whose tool is missing prints the missing-tool mark and exits 127.
https://slurm.schedmd.com/srun.html (``--label``, ``--nodelist``, ``--ntasks-per-node``).
"""

from __future__ import annotations

import re
import shlex
from collections import defaultdict
from pathlib import Path

from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.validate import unreachable
from aiinfra_iac.validate.runners.commands import Step, tool_hint

NODE_MARK = "aiinfra-node:"
MISSING_MARK = "aiinfra-missing-tool:"
SLURM_DIR = "_slurm"
_LABELLED = re.compile(r"^\s*(?P<task>\d+): ?(?P<line>.*)$")


def controller(plan: ClusterPlan) -> str | None:
    """The host that launches job steps: the first host of the controller pool, on Slurm only."""
    if plan.scheduler.type != "slurm":
        return None
    for pool in plan.pools:
        if pool.role == "controller" and pool.hosts:
            return pool.hosts[0]
    return None


def as_job_step(step: Step, hosts: tuple[str, ...], launcher: str, file_name: str) -> Step:
    """``step`` (one node's command) as one ``srun`` over ``hosts``, run from ``launcher``."""
    tool = step.argv[0]
    script = (
        f'echo "{NODE_MARK} ${{SLURMD_NODENAME:-$(hostname -s)}}"; '
        f'command -v {shlex.quote(tool)} >/dev/null || {{ echo "{MISSING_MARK} {tool}"; exit 127; }}; '
        f"exec env {step.shell()} 2>&1"
    )
    argv = (
        "srun",
        "--label",
        f"--nodes={len(hosts)}",
        "--ntasks-per-node=1",
        f"--nodelist={','.join(hosts)}",
        "--exclusive",
        "bash",
        "-c",
        script,
    )
    name = step.check_id.replace(":", "_")
    return Step(step.check_id, launcher, argv, f"{SLURM_DIR}/{name}.log", tool="srun", split_to=file_name)


def split(text: str) -> dict[str, str]:
    """``srun --label`` output → node name → that node's own output."""
    by_task: dict[str, list[str]] = defaultdict(list)
    for raw in text.split("\n"):  # not splitlines(): gpu-burn repaints progress with bare \r
        match = _LABELLED.match(raw)
        if match:
            by_task[match.group("task")].append(match.group("line"))
    out: dict[str, str] = {}
    for lines in by_task.values():
        if lines and lines[0].startswith(NODE_MARK):
            out[lines[0][len(NODE_MARK) :].strip()] = "\n".join(lines[1:]) + "\n"
    return out


def split_results(results_dir: Path, steps: list[Step]) -> None:
    """Write each job step's per-node output to ``<node>/<file>``; a node missing the tool gets an
    ``unreachable.json`` marker with the cause (:mod:`aiinfra_iac.validate.unreachable`)."""
    for step in steps:
        if not step.split_to:
            continue
        try:
            # bytes, not read_text(): universal newlines would turn gpu-burn's \r into line breaks
            text = (results_dir / step.output).read_bytes().decode("utf-8", errors="replace")
        except FileNotFoundError:
            continue  # the judge reports every node of this check as missing its result
        for node, output in sorted(split(text).items()):
            if output.startswith(MISSING_MARK):
                tool = output[len(MISSING_MARK) :].split()[0]
                cause = f"{tool} is not installed on the node: {tool_hint(tool)}"
                unreachable.mark(results_dir, node, cause, tool)
                continue
            (results_dir / node).mkdir(parents=True, exist_ok=True)
            (results_dir / node / step.split_to).write_text(output, encoding="utf-8")
