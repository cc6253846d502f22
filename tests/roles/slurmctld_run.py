"""Start a real slurmctld on a converged controller chroot and return what ``scontrol`` prints.

munged and slurmctld start inside the chroot, in private network, UTS and PID namespaces (no port or
host name shared with other tests; the daemons end with the namespace, whose PID 1 is the chroot
shell). Node names resolve from the chroot's /etc/hosts only.
"""

from __future__ import annotations

import subprocess

from harness import Chroot

TOPOLOGY_MARK = "=== scontrol show topology ==="


def show_nodes_and_topology(chroot: Chroot, controller: str, hosts: list[str]) -> str:
    """``scontrol show nodes -o``, then :data:`TOPOLOGY_MARK`, then ``scontrol show topology``."""
    with chroot.path("/etc/hosts").open("a") as etc_hosts:
        etc_hosts.write(f"127.0.0.1 {controller}\n")
        for index, host in enumerate(hosts):
            etc_hosts.write(f"127.0.{1 + index // 250}.{1 + index % 250} {host}\n")
    # glibc resolves only from files here (no DNS in the namespace); a veth address makes
    # getaddrinfo(AI_ADDRCONFIG) return IPv4 addresses, which it does not for loopback alone.
    chroot.path("/etc/nsswitch.conf").write_text("passwd: files\ngroup: files\nhosts: files\n")
    script = f"""
ip link set lo up
ip link add v0 type veth peer name v1 && ip addr add 10.254.0.1/24 dev v0 && ip link set v1 up
ip link set v0 up
hostname {controller}
exec chroot {chroot.root} /bin/sh -c '
  mkdir -p /run/munge && chown munge:munge /run/munge
  timeout -s KILL 20 runuser -u munge -- /usr/sbin/munged --force </dev/null >/dev/null 2>&1 || exit 3
  timeout -s KILL 30 /usr/sbin/slurmctld </dev/null >/dev/null 2>&1 || exit 4
  for i in $(seq 1 40); do timeout -s KILL 5 scontrol ping >/dev/null 2>&1 && break; sleep 0.5; done
  timeout -s KILL 20 scontrol show nodes -o
  echo "{TOPOLOGY_MARK}"
  timeout -s KILL 20 scontrol show topology
'
"""
    proc = subprocess.run(
        ["timeout", "-s", "KILL", "150", "unshare", "--net", "--uts", "--pid", "--fork", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    log = chroot.path("/var/log/slurm/slurmctld.log")
    if proc.returncode != 0:
        raise AssertionError(
            f"slurmctld/scontrol failed ({proc.returncode}): {proc.stderr[-2000:]}\n"
            + (log.read_text()[-3000:] if log.exists() else "(no slurmctld.log)")
        )
    return proc.stdout


def fields(line: str) -> dict[str, str]:
    """``Key=Value`` pairs of one ``scontrol -o`` line."""
    return dict(item.split("=", 1) for item in line.split() if "=" in item)


def topology_lines(output: str) -> list[dict[str, str]]:
    """The records ``scontrol show topology`` printed (after :data:`TOPOLOGY_MARK`)."""
    return [f for line in output.split(TOPOLOGY_MARK)[1].splitlines() if (f := fields(line))]
