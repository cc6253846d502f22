"""The Ansible playbook that runs the validation steps on the nodes (the fallback where no
scheduler runs the tests yet; with Slurm the pool-wide step is an ``srun`` launched from a node).

Plays: a preflight that fails a host naming the tools it lacks; the per-node tools
(``strategy: free``: each host runs its own list as fast as it can); perftest pairs
(servers started async, then clients); the pool-wide nccl-tests runs from each pool's first host.
Every step's output is fetched into the results directory with the layout of DESIGN.md.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from aiinfra_iac.validate.runners.commands import Step

REMOTE_DIR = "/tmp/aiinfra-validate"
MISSING_MARK = "aiinfra-missing-tools:"
GROUP = "aiinfra_validate"
"""Inventory group of the hosts that run validation steps (others, e.g. a head node, sit out)."""
_REMOTE_FILE = REMOTE_DIR + "/{{ item.output | replace('/', '__') }}"


def _host_steps(steps: list[Step]) -> dict[str, list[dict[str, Any]]]:
    by_host: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for step in steps:
        by_host[step.host].append(
            {"shell": step.shell(), "output": step.output, "background": step.background}
        )
    return by_host


def host_vars(steps: list[Step]) -> dict[str, dict[str, Any]]:
    """Per-host variables: the host's steps by play and the tools it needs."""
    tools: dict[str, set[str]] = defaultdict(set)
    for step in steps:
        tools[step.host].add(step.tool)
    node = _host_steps([s for s in steps if not s.output.startswith("_cluster") and s.tool != "ib_write_bw"])
    rdma = [s for s in steps if s.tool == "ib_write_bw"]
    servers = _host_steps([s for s in rdma if s.background])
    clients = _host_steps([s for s in rdma if not s.background])
    pool = _host_steps([s for s in steps if s.output.startswith("_cluster")])
    hosts = sorted({s.host for s in steps})
    return {
        h: {
            "aiinfra_validate_tools": sorted(t for t in tools[h] if t),
            "aiinfra_validate_node_steps": node.get(h, []),
            "aiinfra_validate_rdma_servers": servers.get(h, []),
            "aiinfra_validate_rdma_clients": clients.get(h, []),
            "aiinfra_validate_pool_steps": pool.get(h, []),
        }
        for h in hosts
    }


def _run_and_fetch(var: str, results_dir: Path, *, async_s: int | None = None) -> list[dict[str, Any]]:
    run: dict[str, Any] = {
        "name": f"Run {var}",
        "ansible.builtin.shell": f"{{{{ item.shell }}}} > {_REMOTE_FILE} 2>&1",
        "loop": f"{{{{ {var} }}}}",
        "changed_when": False,
    }
    if async_s is not None:
        run |= {"async": async_s, "poll": 0, "register": "aiinfra_validate_async"}
        return [run]
    fetch = {
        "name": f"Fetch {var}",
        "ansible.builtin.fetch": {
            "src": _REMOTE_FILE,
            "dest": f"{results_dir}/{{{{ item.output }}}}",
            "flat": True,
        },
        "loop": f"{{{{ {var} }}}}",
    }
    return [run, fetch]


def playbook(results_dir: Path, *, timeout_s: int = 3600) -> list[dict[str, Any]]:
    """The playbook (a YAML-ready list of plays) for steps given as :func:`host_vars`."""
    workdir = {
        "name": "Create the work directory",
        "ansible.builtin.file": {"path": REMOTE_DIR, "state": "directory", "mode": "0755"},
    }
    preflight = {
        "name": "Find missing validation tools",
        "ansible.builtin.shell": (
            "for t in {{ aiinfra_validate_tools | join(' ') }}; "
            'do command -v "$t" >/dev/null || echo "$t"; done'
        ),
        "register": "aiinfra_validate_missing",
        "changed_when": False,
    }
    fail = {
        "name": "Stop when a tool is missing",
        "ansible.builtin.fail": {
            "msg": MISSING_MARK + " {{ aiinfra_validate_missing.stdout_lines | join(',') }}",
        },
        "when": "aiinfra_validate_missing.stdout_lines | length > 0",
    }
    wait_servers = {
        "name": "Let the perftest servers listen",
        "ansible.builtin.pause": {"seconds": 3},
    }
    server_fetch = _run_and_fetch("aiinfra_validate_rdma_servers", results_dir)[1]
    return [
        {
            "name": "aiinfra validate: preflight",
            "hosts": GROUP,
            "gather_facts": False,
            "any_errors_fatal": True,
            "tasks": [workdir, preflight, fail],
        },
        {
            "name": "aiinfra validate: per-node tests",
            "hosts": GROUP,
            "gather_facts": False,
            "strategy": "free",
            "tasks": _run_and_fetch("aiinfra_validate_node_steps", results_dir),
        },
        {
            "name": "aiinfra validate: RDMA pairs",
            "hosts": GROUP,
            "gather_facts": False,
            "tasks": [
                *_run_and_fetch("aiinfra_validate_rdma_servers", results_dir, async_s=timeout_s),
                wait_servers,
                *_run_and_fetch("aiinfra_validate_rdma_clients", results_dir),
                {
                    "name": "Wait for the perftest servers to finish",
                    "ansible.builtin.async_status": {"jid": "{{ item.ansible_job_id }}"},
                    "loop": "{{ aiinfra_validate_async.results }}",
                    "register": "aiinfra_validate_done",
                    "until": "aiinfra_validate_done.finished",
                    "retries": 60,
                    "delay": 2,
                },
                server_fetch,
            ],
        },
        {
            "name": "aiinfra validate: multi-node NCCL",
            "hosts": GROUP,
            "gather_facts": False,
            "tasks": _run_and_fetch("aiinfra_validate_pool_steps", results_dir),
        },
    ]
