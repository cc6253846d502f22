"""The CPU fallback as it runs inside a sandbox node (a Slurm task or a node command).

Standalone on purpose: the sandbox copies this one file into each node's chroot
(``/opt/aiinfra/sandbox_probe.py``) and runs it with the node's own python3 and numpy, so no part
of validation runs on the host. Every mode prints one JSON line on stdout.

- ``burn SECONDS SIZE``: numpy matmul burn; ``[iterations, errors, seconds]``.
- ``ring HOSTS MIN MAX PORT``: a ring all-reduce over TCP between the tasks (one per entry of the
  comma-separated HOSTS, in order; this task's rank is ``SLURM_PROCID``, else ``AIINFRA_RANK``,
  else its host name's place; rank r listens on PORT + r). Reduce-scatter then
  all-gather, float32 sum, result checked; rank 0 prints ``[[size, time_us, wrong], ...]``.
- ``pair HOSTS BYTES PORT``: two tasks send BYTES to each other at once; each prints
  ``{"host", "peer", "seconds"}`` (a slow link slows both directions' completion).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from typing import Any

ELEMENT = 4
REPEATS = 3


def _burn(seconds: float, size: int) -> list[Any]:
    import numpy as np

    rng = np.random.default_rng(1234)
    a = rng.standard_normal((size, size))
    b = rng.standard_normal((size, size))
    reference = a @ b
    iterations = errors = 0
    start = time.perf_counter()
    while True:
        errors += int(np.count_nonzero((a @ b) != reference))
        iterations += 1
        if time.perf_counter() - start >= seconds:
            break
    return [iterations, errors, time.perf_counter() - start]


def _place(hosts: list[str]) -> int:
    """This task's rank: its host's place in HOSTS; where a host appears several times, the task id
    (``SLURM_PROCID`` or ``AIINFRA_RANK``: those ranks share the node, so their order is free).
    Slurm numbers tasks in its own node order, not in the order of ``--nodelist``."""
    name = socket.gethostname()
    if hosts.count(name) == 1:
        return hosts.index(name)
    rank = os.environ.get("SLURM_PROCID") or os.environ.get("AIINFRA_RANK")
    if name not in hosts or rank is None:
        raise SystemExit(f"sandbox_probe: host {name!r} (task {rank}) has no place in {hosts}")
    return int(rank)


def _connect(host: str, port: int, timeout_s: float = 30.0) -> socket.socket:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=timeout_s)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _neighbours(hosts: list[str], me: int, port: int) -> tuple[socket.socket, socket.socket]:
    """(socket to the next host, socket from the previous host)."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", port + me))  # port + rank: several ranks may share a node
    server.listen(1)
    server.settimeout(60)  # a peer that never comes ends this task instead of hanging the step
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True)
    thread.start()
    after = (me + 1) % len(hosts)
    nxt = _connect(hosts[after], port + after)
    thread.join(timeout=70)
    server.close()
    if not accepted:
        raise SystemExit(f"sandbox_probe: rank {me}: no connection from the previous rank")
    return nxt, accepted[0]


def _recv_exact(sock: socket.socket, view: memoryview) -> None:
    got = 0
    while got < len(view):
        n = sock.recv_into(view[got:])
        if n == 0:
            raise ConnectionError("peer closed the connection")
        got += n


def _exchange(nxt: socket.socket, prev: socket.socket, send: Any, recv: Any) -> None:
    sender = threading.Thread(target=nxt.sendall, args=(memoryview(send).cast("B"),))
    sender.start()
    _recv_exact(prev, memoryview(recv).cast("B"))
    sender.join()


def _ring_allreduce(nxt: socket.socket, prev: socket.socket, data: Any, n: int, me: int) -> None:
    import numpy as np

    chunks = np.array_split(data, n)
    scratch = np.empty_like(chunks[0])
    for step in range(n - 1):  # reduce-scatter
        send, recv = (me - step) % n, (me - step - 1) % n
        buf = scratch[: len(chunks[recv])]
        _exchange(nxt, prev, np.ascontiguousarray(chunks[send]), buf)
        chunks[recv] += buf
    for step in range(n - 1):  # all-gather
        send, recv = (me + 1 - step) % n, (me - step) % n
        buf = scratch[: len(chunks[recv])]
        _exchange(nxt, prev, np.ascontiguousarray(chunks[send]), buf)
        chunks[recv][:] = buf


def _ring(hosts: list[str], lo: int, hi: int, port: int) -> list[list[float]] | None:
    import numpy as np

    n, me = len(hosts), _place(hosts)
    nxt, prev = _neighbours(hosts, me, port)
    rows: list[list[float]] = []
    size = max(lo, ELEMENT * n)
    while size <= hi:
        count = size // ELEMENT
        data = np.full(count, float(me + 1), dtype=np.float32)
        _ring_allreduce(nxt, prev, data, n, me)  # warm-up
        elapsed, wrong = float("inf"), 0
        for _ in range(REPEATS):  # the best of a few: a shared 2-core host is noisy
            data[:] = me + 1
            start = time.perf_counter()
            _ring_allreduce(nxt, prev, data, n, me)
            elapsed = min(elapsed, time.perf_counter() - start)
            wrong += int(np.count_nonzero(data != n * (n + 1) / 2))
        rows.append([size, elapsed * 1e6, wrong])
        size *= 4
    nxt.close()
    prev.close()
    return rows if me == 0 else None


def _pair(hosts: list[str], nbytes: int, port: int) -> dict[str, object]:
    me = _place(hosts)
    nxt, prev = _neighbours(hosts, me, port)
    payload, received = bytearray(nbytes), bytearray(nbytes)
    seconds = float("inf")
    for _ in range(REPEATS):  # the best of a few: one slow exchange on a busy host is not a slow link
        start = time.perf_counter()
        _exchange(nxt, prev, payload, received)
        seconds = min(seconds, time.perf_counter() - start)
    nxt.close()
    prev.close()
    return {"host": hosts[me], "peer": hosts[1 - me], "seconds": seconds}


def main(argv: list[str]) -> int:
    mode = argv[0]
    if mode == "burn":
        result: object = _burn(float(argv[1]), int(argv[2]))
    elif mode == "ring":
        result = _ring(argv[1].split(","), int(argv[2]), int(argv[3]), int(argv[4]))
    elif mode == "pair":
        result = _pair(argv[1].split(","), int(argv[2]), int(argv[3]))
    else:
        raise SystemExit(f"sandbox_probe: unknown mode {mode!r}")
    if result is not None:
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
