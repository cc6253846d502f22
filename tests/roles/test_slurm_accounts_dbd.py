"""The accounts converger against a real slurmdbd: Debian's slurmdbd + MariaDB + munge on loopback.

Everything runs from a temporary folder on free loopback ports (own munge socket and key, own MariaDB
data directory, own slurm.conf via SLURM_CONF); a slurmctld starts just long enough to register the
gres/gpu TRES with slurmdbd (as it does on a real controller), then stops. Needs root and the Debian
packages munge, mariadb-server, slurmdbd, slurmctld and slurm-client; skipped otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from role_templates import defaults, render

SCRIPT = Path(__file__).parents[2] / "roles" / "slurm" / "files" / "aiinfra-slurm-accounts.py"
TOOLS = ("munged", "mariadbd", "mariadb-install-db", "mariadb", "slurmdbd", "slurmctld", "sacctmgr")
MISSING = [t for t in TOOLS if shutil.which(t) is None and not Path(f"/usr/sbin/{t}").exists()]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="munged and mariadbd run as root here"),
    pytest.mark.skipif(
        bool(MISSING),
        reason=f"missing {MISSING} (Debian: munge mariadb-server slurmdbd slurmctld slurm-client)",
    ),
]
CLUSTER = "aiinfra-dbd"


def _tool(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(what: str, ready: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(ready) and ready():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} did not come up within {seconds:.0f} s")


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, env=env, timeout=60, check=False)


@pytest.fixture(scope="module")
def slurmdbd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    root = tmp_path_factory.mktemp("dbd")
    (root / "db").mkdir()
    (root / "state").mkdir()
    key = root / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    munge_socket = root / "munge.sock"
    db_port, dbd_port, ctld_port, slurmd_port = _port(), _port(), _port(), _port()
    env = {**os.environ, "SLURM_CONF": str(root / "slurm.conf")}
    processes: list[subprocess.Popen[bytes]] = []
    munged_pid = root / "munged.pid"
    try:
        _run(
            _tool("munged"),
            "--force",
            f"--key-file={key}",
            f"--socket={munge_socket}",
            f"--pid-file={munged_pid}",
            f"--log-file={root / 'munged.log'}",
            f"--seed-file={root / 'munge.seed'}",
        )
        _wait("munged", munged_pid.exists)
        installed = _run(
            _tool("mariadb-install-db"),
            f"--datadir={root / 'db'}",
            "--user=root",
            "--auth-root-authentication-method=normal",
        )
        assert installed.returncode == 0, installed.stderr
        db_socket = root / "mysql.sock"
        processes.append(
            subprocess.Popen(
                [
                    _tool("mariadbd"),
                    "--no-defaults",
                    f"--datadir={root / 'db'}",
                    f"--socket={db_socket}",
                    f"--port={db_port}",
                    "--bind-address=127.0.0.1",
                    "--user=root",
                    f"--log-error={root / 'mariadb.err'}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        _wait(
            "MariaDB", lambda: _run(_tool("mariadb"), "-S", str(db_socket), "-e", "SELECT 1").returncode == 0
        )
        grants = "; ".join(
            f"CREATE USER 'slurm'@'{host}' IDENTIFIED BY 'dbd-test'; "
            f"GRANT ALL ON slurm_acct_db.* TO 'slurm'@'{host}'"
            for host in ("127.0.0.1", "localhost")
        )
        assert _run(_tool("mariadb"), "-S", str(db_socket), "-e", grants).returncode == 0
        # The slurm role's own slurmdbd.conf, on this test's ports and paths; SlurmUser=root and the
        # private munge socket are the only lines changed (no slurm user, no system munged here).
        dbd_vars = {
            **defaults("slurm"),
            "inventory_hostname": "localhost",
            "slurm_dbd_port": dbd_port,
            "slurm_dbd_storage_host": "127.0.0.1",
            "slurm_dbd_storage_port": db_port,
            "slurm_dbd_pid_file": str(root / "slurmdbd.pid"),
            "slurm_dbd_log_file": str(root / "slurmdbd.log"),
            "_slurm_dbd_password": "dbd-test",
        }
        rendered = render("slurm", "slurmdbd.conf.j2", dbd_vars)
        assert "\nSlurmUser=slurm\n" in rendered
        rendered = rendered.replace("\nSlurmUser=slurm\n", "\nSlurmUser=root\n")
        dbd_conf = root / "slurmdbd.conf"
        dbd_conf.write_text(rendered + f"AuthInfo=socket={munge_socket}\nDbdAddr=127.0.0.1\n")
        dbd_conf.chmod(0o600)
        # AccountingStoragePass names the munge socket for slurmdbd connections (slurm.conf(5)).
        (root / "slurm.conf").write_text(
            f"ClusterName={CLUSTER}\nSlurmctldHost=localhost\nAuthType=auth/munge\nAuthInfo=socket={munge_socket}\n"
            f"AccountingStorageType=accounting_storage/slurmdbd\nAccountingStorageHost=127.0.0.1\n"
            f"AccountingStoragePort={dbd_port}\nAccountingStoragePass={munge_socket}\n"
            f"SlurmctldPort={ctld_port}\nSlurmdPort={slurmd_port}\nSlurmUser=root\n"
            f"StateSaveLocation={root / 'state'}\nSlurmctldPidFile={root / 'slurmctld.pid'}\n"
            f"SlurmctldLogFile={root / 'slurmctld.log'}\nGresTypes=gpu\nAccountingStorageTRES=gres/gpu\n"
            "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
            "NodeName=localhost NodeAddr=127.0.0.1 CPUs=1 State=UNKNOWN\nPartitionName=p Nodes=localhost\n"
        )
        processes.append(
            subprocess.Popen(
                [_tool("slurmdbd"), "-D"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
        sacctmgr = _tool("sacctmgr")
        _wait("slurmdbd", lambda: _run(sacctmgr, "-nP", "show", "cluster", env=env).returncode == 0)
        assert _run(sacctmgr, "-i", "add", "cluster", CLUSTER, env=env).returncode == 0
        ctld = subprocess.Popen(
            [_tool("slurmctld"), "-D", "-i"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        processes.append(ctld)
        _wait("gres/gpu TRES", lambda: "gres|gpu" in _run(sacctmgr, "-nP", "show", "tres", env=env).stdout)
        ctld.terminate()
        ctld.wait(timeout=30)
        yield env
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if munged_pid.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(munged_pid.read_text().strip()), 15)


def _converge(env: dict[str, str], state: Path, *extra: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(state), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def _show(env: dict[str, str], *args: str) -> set[str]:
    return set(_run(_tool("sacctmgr"), "-nP", "show", *args, env=env).stdout.split())


def test_teams_become_accounts_and_qos_once(slurmdbd: dict[str, str], tmp_path: Path) -> None:
    state = tmp_path / "accounts.json"
    teams = [
        {"name": "research", "priority": 200, "fairshare": 24, "gpu_limit": -1},
        {"name": "evals", "priority": 100, "fairshare": 8, "gpu_limit": 16},
    ]
    state.write_text(json.dumps({"cluster": CLUSTER, "teams": teams}))
    first = _converge(slurmdbd, state)
    assert first["changed"] is True and len(first["commands"]) == 4  # type: ignore[arg-type]
    assert _converge(slurmdbd, state) == {"changed": False, "commands": []}
    assert {"research|200|", "evals|100|gres/gpu=16"} <= _show(
        slurmdbd, "qos", "format=Name,Priority,GrpTRES"
    )
    assocs = _show(
        slurmdbd, "assoc", "where", f"cluster={CLUSTER}", "format=Account,User,Fairshare,QOS,DefaultQOS"
    )
    assert {"research||24|research|research", "evals||8|evals|evals"} <= assocs

    teams[1].update(priority=150, gpu_limit=24, fairshare=12)
    state.write_text(json.dumps({"cluster": CLUSTER, "teams": teams}))
    preview = _converge(slurmdbd, state, "--check")
    assert len(preview["commands"]) == 2  # type: ignore[arg-type]
    assert "evals|100|gres/gpu=16" in _show(
        slurmdbd, "qos", "format=Name,Priority,GrpTRES"
    )  # --check wrote nothing
    assert _converge(slurmdbd, state)["changed"] is True
    assert _converge(slurmdbd, state)["changed"] is False
    assert "evals|150|gres/gpu=24" in _show(slurmdbd, "qos", "format=Name,Priority,GrpTRES")
