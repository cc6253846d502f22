"""A thin ``kubectl`` client (subprocess, no Python Kubernetes dependency) bound to the plan's cluster.

Provider ``kubernetes`` names ``kubeconfig`` and ``context``; for EKS (provider ``aws``) the current
context of the default kubeconfig is used (``aws eks update-kubeconfig`` sets it).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiinfra_iac.errors import AiinfraError, MissingToolError
from aiinfra_iac.plan.model import ClusterPlan

KUBECTL_HINT = (
    "install kubectl (https://kubernetes.io/docs/tasks/tools/) and point it at the cluster "
    "(for EKS: aws eks update-kubeconfig --name <cluster>)"
)


class KubectlError(AiinfraError):
    """kubectl could not apply, query or delete the validation workloads."""


def to_yaml(manifests: Sequence[dict[str, Any]]) -> str:
    """``manifests`` as one multi-document YAML stream."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    out = io.StringIO()
    yaml.dump_all(list(manifests), out)
    return out.getvalue()


@dataclass(frozen=True)
class Kubectl:
    base: tuple[str, ...]
    """``kubectl`` plus the global flags (``--kubeconfig``, ``--context``)."""

    @classmethod
    def for_plan(cls, plan: ClusterPlan) -> Kubectl:
        exe = shutil.which("kubectl")
        if exe is None:
            raise MissingToolError("kubectl", KUBECTL_HINT)
        base = [exe]
        if plan.provider.kubeconfig:
            base += ["--kubeconfig", str(Path(plan.provider.kubeconfig).expanduser())]
        if plan.provider.context:
            base += ["--context", plan.provider.context]
        return cls(tuple(base))

    def run(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        try:
            done = subprocess.run(
                [*self.base, *args],
                input=stdin.encode() if stdin is not None else None,
                capture_output=True,
                check=False,
            )
        except OSError as error:
            raise MissingToolError("kubectl", f"{KUBECTL_HINT} ({error.strerror or error})") from error
        if check and done.returncode != 0:
            lines = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
            why = lines[-1] if lines else "no message"
            raise KubectlError(f"kubectl {' '.join(args[:2])} failed (exit {done.returncode}): {why}")
        return done

    def apply(self, manifests: Sequence[dict[str, Any]]) -> None:
        self.run("apply", "-f", "-", stdin=to_yaml(manifests))

    def get_json(self, *args: str) -> Any:
        done = self.run("get", *args, "-o", "json")
        try:
            return json.loads(done.stdout)
        except json.JSONDecodeError as error:
            raise KubectlError(f"kubectl get {' '.join(args[:1])} did not print JSON: {error}") from error
