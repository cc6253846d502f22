"""``stacks/<provider>/__main__.py`` run under mocks with ``aiinfra:blueprint`` in the stack config."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from aiinfra_iac.errors import ProvisionError
from aiinfra_iac.provision.offline import render_program

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"


def run_stack_main(provider: str, blueprint: str) -> list[str]:
    import pulumi

    def program() -> None:
        pulumi.runtime.set_all_config({"aiinfra:blueprint": blueprint})
        runpy.run_path(str(STACKS / provider / "__main__.py"), run_name="__main__")

    return [r.type for r in render_program(program, stack=f"stack-{provider}")]


@pytest.mark.parametrize("provider", ["aws", "kubernetes", "onprem", "local"])
def test_every_provider_has_a_pulumi_project(provider: str) -> None:
    text = (STACKS / provider / "Pulumi.yaml").read_text()
    assert "name: aiinfra\n" in text and "runtime:" in text and "python" in text
    assert (STACKS / provider / "__main__.py").is_file()


def test_aws_stack_instantiates_the_same_components() -> None:
    types = run_stack_main("aws", "../../blueprints/h100-p5-eks-fsx-training.yaml")
    assert "aiinfra:aws:Cluster" in types and "aws:ec2/launchTemplate:LaunchTemplate" in types


def test_kubernetes_stack_with_an_absolute_path() -> None:
    types = run_stack_main("kubernetes", str(ROOT / "blueprints" / "existing-k8s-gpu-network-operator.yaml"))
    assert "aiinfra:kubernetes:ExistingCluster" in types


def test_onprem_stack_creates_nothing() -> None:
    assert run_stack_main("onprem", "../../blueprints/h100-onprem-ib-slurm.yaml") == []


def test_a_blueprint_of_another_provider_is_refused() -> None:
    with pytest.raises(ProvisionError, match="use stacks/onprem/"):
        run_stack_main("aws", "../../blueprints/h100-onprem-ib-slurm.yaml")
