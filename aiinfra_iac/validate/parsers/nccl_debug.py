"""Transports NCCL used, read from ``NCCL_DEBUG=INFO`` lines.

Recognised evidence (NCCL and aws-ofi-nccl log lines):

- channel lines ``Channel 00/0 : 0[35000] -> 1[f5000] [send] via NET/IB/0`` (also ``via P2P/IPC``,
  ``via P2P/CUMEM``, ``via SHM/direct/direct``, ``via NVLS``, ``via NET/Socket/0``,
  ``via NET/AWS Libfabric/0``, ``via COLLNET``);
- the network NCCL picked: ``Using network IB`` / ``Using network Socket`` /
  ``Using network AWS Libfabric`` (or ``Libfabric``);
- device lines ``NET/IB : Using [0]mlx5_0:1/RoCE`` (RoCE when every IB port listed is RoCE),
  ``NET/Socket : Using [0]eth0:10.0.0.1<0>`` (counted only when no IB/OFI network shows up),
  ``NET/OFI Selected Provider is efa``;
- ``NVLS multicast support is available`` (not ``… not available``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .types import Transport

NCCL_LINE = re.compile(
    r"^\s*(?P<host>[^\s:\[\]]+):(?P<pid>\d+):(?P<tid>\d+)\s+\[(?P<dev>\d+)\]\s+"
    r"(?:\S+:\d+\s+)?NCCL\s+(?P<level>[A-Z]+)\s?(?P<msg>.*)$"
)
# ``via NET/IB/0``, ``via NET/IB/0/GDRDMA``, ``via NET/IB/0(7)/GDRDMA`` (PXN: proxy rank 7),
# ``via NET/IBext_v8/1``, ``via NET/AWS Libfabric/0``, ``via P2P/IPC/read``: the words before the index.
_VIA = re.compile(r"\bvia\s+(?P<what>[A-Za-z][\w ]*(?:/[A-Za-z][\w ]*)*)")
_USING_NETWORK = re.compile(r"\bUsing network\s+(?P<net>.+?)\s*$")
# ``NET/IB : Using …`` and plugin builds ``NET/IBext : …`` / ``NET/IBext_v8 : Using …``
_IB_DEVICES = re.compile(r"NET/IB(?:ext(?:_v\d+)?)?\s*:\s*Using\s+(?P<devs>(?:\[\d+\]\S+\s*)+)")
_SOCKET_DEV = re.compile(r"NET/Socket\s*:\s*Using\s+\[\d+\]")
_OFI_EFA = re.compile(r"NET/OFI\s+Selected [Pp]rovider is\s+efa")
_IB_PORT = re.compile(r"\[\d+\](?P<dev>[^:\s]+):\d+/(?P<kind>IB|RoCE)")


def _classify_net(name: str) -> Transport | None:
    n = name.strip().lower()
    if n.startswith("ib") or n.startswith("net/ib"):
        return "NET/IB"
    if "socket" in n:
        return "NET/Socket"
    if "libfabric" in n or "ofi" in n:
        return "NET/OFI"
    if "collnet" in n or "sharp" in n:
        return "COLLNET"
    return None


def _classify_via(what: str) -> Transport | None:
    w = what.strip()
    upper = w.upper()
    if upper.startswith("P2P"):
        return "P2P"
    if upper.startswith("SHM"):
        return "SHM"
    if upper.startswith("NVLS"):
        return "NVLS"
    if upper.startswith("COLLNET"):
        return "COLLNET"
    if upper.startswith("NET/"):
        return _classify_net(w[4:])
    return None


def detect_transports(lines: Iterable[str]) -> frozenset[str]:
    """Transports (values of :data:`~.types.Transport`) evidenced by NCCL INFO lines.

    ``NET/IB`` becomes ``NET/RoCE`` when the ``NET/IB : Using …`` lines list only RoCE ports.
    Lines may still carry the ``host:pid:tid [dev] NCCL INFO`` prefix or not.
    """
    return detect_network(lines)[0]


def detect_network(lines: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    """:func:`detect_transports` plus the link layers (``IB``/``RoCE``) of the ports NCCL's IB
    transport listed (``NET/IB : Using [0]mlx5_0:1/IB``); empty where no such line was logged."""
    scan = NetworkScan()
    for raw in lines:
        scan.feed(raw)
    return scan.result()


class NetworkScan:
    """:func:`detect_network` fed one line at a time (for the streaming nccl-tests parser)."""

    def __init__(self) -> None:
        self.found: set[str] = set()
        self.ib_kinds: set[str] = set()
        self.socket_device = False
        self.chosen = False  # a "via NET/…" or "Using network …" line: direct evidence of the network

    def feed(self, raw: str) -> None:
        if "NCCL" not in raw and "via" not in raw and "NET/" not in raw:
            return
        found = self.found
        m = NCCL_LINE.match(raw)
        msg = m.group("msg") if m else raw
        via = _VIA.search(msg)
        if via:
            t = _classify_via(via.group("what"))
            if t:
                found.add(t)
                self.chosen = self.chosen or via.group("what").upper().startswith("NET/")
        net = _USING_NETWORK.search(msg)
        if net:
            t = _classify_net(net.group("net"))
            if t:
                found.add(t)
                self.chosen = True
        ib = _IB_DEVICES.search(msg)
        if ib:
            self.ib_kinds.update(p.group("kind") for p in _IB_PORT.finditer(ib.group("devs")))
        if _SOCKET_DEV.search(msg):
            self.socket_device = True
        if _OFI_EFA.search(msg):
            found.add("NET/OFI")
        if "NVLS multicast support is available" in msg:
            found.add("NVLS")

    def result(self) -> tuple[frozenset[str], frozenset[str]]:
        found = set(self.found)
        ib_kinds = self.ib_kinds
        if ib_kinds and not self.chosen:
            # ``NET/IB : Using [0]mlx5_0:1/IB`` means the IB transport came up; NCCL prefers it over
            # sockets, so without channel or "Using network" lines it is the network used.
            found.add("NET/IB")
        if (
            self.socket_device
            and not self.chosen
            and not ib_kinds
            and not found & {"NET/IB", "NET/OFI", "COLLNET"}
        ):
            # ``NET/Socket : Using [0]eth0:…`` is also printed for the bootstrap network next to a
            # working IB device; only "Using network Socket" / "via NET/Socket" are proof on their own.
            found.add("NET/Socket")
        if "NET/IB" in found and ib_kinds == {"RoCE"}:
            found.discard("NET/IB")
            found.add("NET/RoCE")
        return frozenset(found), frozenset(ib_kinds)


def detect_transports_in_text(text: str) -> frozenset[str]:
    """:func:`detect_transports` on a whole log (e.g. a separate ``NCCL_DEBUG_FILE``)."""
    from ._lines import clean_lines

    return detect_transports(clean_lines(text))
