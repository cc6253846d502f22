"""The program behind ``stacks/<provider>/__main__.py`` for users of the plain ``pulumi`` CLI.

The stack's config names the blueprint (``pulumi config set aiinfra:blueprint ../../my.yaml``,
relative to the project folder); the program loads and checks it, refuses a blueprint of
another provider, instantiates the same components as ``aiinfra up`` and exports the
cluster's name, node count and (aws) node addresses.
"""

from __future__ import annotations

from pathlib import Path

from aiinfra_iac.errors import AiinfraError, BlueprintError, UsageError
from aiinfra_iac.plan.model import ClusterPlan

CONFIG_KEY = "blueprint"


def load_stack_plan(blueprint: str, expected_provider: str, base: Path) -> ClusterPlan:
    from aiinfra_iac.plan import plan_from_file

    path = Path(blueprint)
    if not path.is_absolute():
        path = base / path
    try:
        plan, _warnings = plan_from_file(path)
    except BlueprintError as error:
        raise UsageError(f"aiinfra:blueprint {path} is invalid:\n{error}") from error
    if plan.provider.type != expected_provider:
        raise UsageError(
            f"aiinfra:blueprint {path} is for provider {plan.provider.type}, but this is the "
            f"{expected_provider} stack; use stacks/{plan.provider.type}/ instead"
        )
    return plan


def run_stack(expected_provider: str, base: Path | None = None) -> ClusterPlan:
    """Body of a stack's ``__main__.py``; ``base`` is the folder relative blueprint paths start from."""
    import pulumi

    from aiinfra_iac.provision.providers import PROVIDERS

    blueprint = pulumi.Config("aiinfra").require(CONFIG_KEY)
    try:
        plan = load_stack_plan(blueprint, expected_provider, base or Path.cwd())
    except AiinfraError as error:
        raise pulumi.RunError(str(error)) from error
    PROVIDERS[expected_provider].build(plan)
    pulumi.export("cluster", plan.name)
    pulumi.export("nodes", plan.summary.nodes)
    pulumi.export("gpus", plan.summary.gpus)
    return plan
