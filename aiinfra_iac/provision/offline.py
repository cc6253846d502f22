"""Render a plan's Pulumi program offline: no Pulumi CLI, no credentials, no network.

The same components ``up`` deploys run under ``pulumi.runtime.set_mocks``; a recording
monitor keeps every resource registration (type token, name, inputs) in order. Inputs are
read from the wire form, so secrets are recognised by Pulumi's secret signature and
replaced by ``"[secret]"``; keys that look like credentials are redacted as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aiinfra_iac.errors import AiinfraError, ProvisionError
from aiinfra_iac.plan.model import ClusterPlan

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
REDACTED = "[secret]"
SENSITIVE_KEY = re.compile(
    r"(password|passphrase|secret|private_?key|access_?key|token$|kubeconfig)", re.IGNORECASE
)
"""Keys whose plain values are redacted too (``httpTokens`` is an IMDS setting and stays)."""

MOCK_INVOKES: dict[str, dict[str, Any]] = {
    # instances are found after the Auto Scaling group exists; offline there are none yet
    "aws:ec2/getInstances:getInstances": {
        "id": "mock",
        "ids": [],
        "privateIps": [],
        "publicIps": [],
        "ipv6Addresses": [],
    },
    # public SSM parameters (the pinned EKS AMI release) are read from AWS at `up`
    "aws:ssm/getParameter:getParameter": {"value": "resolved-at-up-from-ssm", "type": "String"},
}

_LOCK = threading.Lock()
"""Pulumi's runtime settings are process-global: one offline render at a time."""


def clean_inputs(value: Any, key: str = "") -> Any:
    """Wire-format property values → plain JSON: secrets redacted, integral floats as ints."""
    if key and SENSITIVE_KEY.search(key) and not isinstance(value, (bool, dict, list)):
        return REDACTED
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return REDACTED
        if sig == RESOURCE_SIG:
            return {"resource": value.get("urn", "")}
        if sig is not None:
            return {k: clean_inputs(v) for k, v in value.items() if k != SIG_KEY}
        return {k: clean_inputs(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_inputs(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == UNKNOWN:
        return "[computed]"
    return value


def _mock_outputs(type_token: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Plausible outputs so programs that read them (``apply``) run to the end."""
    outputs = dict(inputs)
    outputs.setdefault("arn", f"arn:aws:mock:::{name}")
    outputs.setdefault("name", name)
    outputs.setdefault("latestVersion", 1)
    outputs.setdefault("privateIp", "10.0.0.10")
    outputs.setdefault("dnsName", f"{name}.mock.internal")
    outputs.setdefault("mountName", "mock")
    if type_token == "aws:eks/cluster:Cluster":
        outputs.setdefault("endpoint", "https://mock.eks.amazonaws.com")
        outputs.setdefault("certificateAuthority", {"data": ""})
    return outputs


@dataclass(frozen=True)
class RenderedResource:
    """One registration seen by the mocks: what ``plan`` shows plus the resource options tests check."""

    type: str
    name: str
    inputs: dict[str, Any]
    custom: bool
    protect: bool
    retain_on_delete: bool

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "inputs": self.inputs}


def _recording_mocks() -> tuple[Any, Any, list[RenderedResource]]:
    """(mocks, monitor, records): the monitor appends one record per registration."""
    from google.protobuf import json_format  # type: ignore[import-untyped]
    from pulumi.runtime import mocks

    records: list[RenderedResource] = []

    class Mocks(mocks.Mocks):
        def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
            return f"{args.name}-id", _mock_outputs(args.typ, args.name, dict(args.inputs))

        def call(self, args: mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
            return dict(MOCK_INVOKES.get(args.token, {})), []

    class RecordingMonitor(mocks.MockMonitor):
        def RegisterResource(self, request: Any) -> Any:
            if request.type != "pulumi:pulumi:Stack":
                raw = json_format.MessageToDict(request.object, preserving_proto_field_name=True)
                records.append(
                    RenderedResource(
                        type=request.type,
                        name=request.name,
                        inputs=clean_inputs(raw),
                        custom=bool(request.custom),
                        protect=bool(request.protect),
                        retain_on_delete=bool(request.retainOnDelete),
                    )
                )
            _adopt_worker_loop()
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]

        def Invoke(self, request: Any) -> Any:
            _adopt_worker_loop()
            return super().Invoke(request)  # type: ignore[no-untyped-call]

        def ReadResource(self, request: Any) -> Any:
            _adopt_worker_loop()
            return super().ReadResource(request)  # type: ignore[no-untyped-call]

    instance = Mocks()
    return instance, RecordingMonitor(instance), records


_WORKER = threading.local()
_WORKER_LOOPS: list[asyncio.AbstractEventLoop] = []
_WORKER_LOOPS_LOCK = threading.Lock()


def _adopt_worker_loop() -> None:
    """Give the executor thread a mock call runs on an event loop that we close afterwards.

    Pulumi's ``MockMonitor`` calls ``_ensure_event_loop()`` on the executor threads and creates a
    loop there that nobody closes; the garbage collector then closed those at interpreter exit
    and now and then printed "Exception ignored in BaseEventLoop.__del__ … Traceback" on stderr.
    """
    if threading.current_thread() is threading.main_thread() or getattr(_WORKER, "loop", None):
        return
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    _WORKER.loop = loop
    with _WORKER_LOOPS_LOCK:
        _WORKER_LOOPS.append(loop)


@contextlib.contextmanager
def _private_event_loop() -> Iterator[None]:
    """Run Pulumi's runtime on a loop of our own and close it — and the loops of its executor
    threads — so no half-closed loop is left for the garbage collector at interpreter exit."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError, OSError, RuntimeError):
            loop.run_until_complete(loop.shutdown_default_executor())
        with contextlib.suppress(ValueError, OSError):
            loop.close()
        asyncio.set_event_loop(None)
        with _WORKER_LOOPS_LOCK:
            workers = list(_WORKER_LOOPS)
            _WORKER_LOOPS.clear()
        for worker in workers:
            with contextlib.suppress(ValueError, OSError, RuntimeError):
                worker.close()


def render_program(program: Callable[[], None], *, stack: str) -> list[RenderedResource]:
    """Run ``program`` under Pulumi's mocks and return every resource it registered, sorted by name."""
    import pulumi
    from pulumi.runtime.settings import SETTINGS
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    with _LOCK, _private_event_loop():
        mocks, monitor, records = _recording_mocks()
        pulumi.runtime.set_mocks(mocks, project="aiinfra", stack=stack, preview=False, monitor=monitor)
        SETTINGS.rpc_manager.clear()
        SETTINGS.outputs.clear()
        try:
            _sync_await(run_pulumi_func(program))
        except AiinfraError:
            raise
        except Exception as error:  # a bug in a component must not become a traceback for the user
            raise ProvisionError(f"rendering the Pulumi program of stack {stack} failed: {error}") from error
    return sorted(records, key=lambda r: (r.name, r.type))


def render_detailed(plan: ClusterPlan) -> list[RenderedResource]:
    """The plan's program under mocks, with resource options (protect, retainOnDelete)."""
    from aiinfra_iac.provision.providers import provider_for

    provider = provider_for(plan)
    if not provider.creates_cloud_resources:
        return []
    return render_program(lambda: provider.build(plan), stack=plan.name)


def render_offline(plan: ClusterPlan) -> list[dict[str, Any]]:
    """``[{type, name, inputs}]`` of every resource the plan's program registers, sorted by name."""
    return [r.as_json() for r in render_detailed(plan)]
