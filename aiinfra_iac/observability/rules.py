"""Render the observability role's alert-rule template outside Ansible (tests, Kubernetes).

The template ``roles/observability/templates/aiinfra-alerts.rules.yml.j2`` is the one source of
the alert rules. Ansible renders it on Slurm/on-prem nodes; this module renders the same file
with Jinja2 using the template module's defaults (``trim_blocks``) so tests can run
``promtool test rules`` on exactly what the role writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import yaml

from aiinfra_iac.resources import bundled_path

TEMPLATE = Path("observability") / "templates" / "aiinfra-alerts.rules.yml.j2"


def render_role_template(name: str, role_vars: dict[str, Any]) -> str:
    """A template of the observability role rendered like Ansible's template module would."""
    environment = jinja2.Environment(
        trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined, autoescape=False
    )
    path = bundled_path("roles") / "observability" / "templates" / name
    return environment.from_string(path.read_text()).render(ansible_managed="aiinfra managed", **role_vars)


def render_alert_rules(role_vars: dict[str, Any]) -> str:
    """The rules file for one pool; ``role_vars`` are the role's ``observability_*`` variables."""
    return render_role_template(TEMPLATE.name, role_vars)


def render_dcgm_counters(*, nvlink: bool) -> str:
    """The DCGM exporter's field list aiinfra collects (the role's counters file)."""
    return render_role_template("dcgm-counters.csv.j2", {"observability_nvlink": nvlink})


def alert_names(rules_text: str) -> list[str]:
    """Every ``alert:`` of a rendered rules file, in file order."""
    document = yaml.safe_load(rules_text)
    return [rule["alert"] for group in document["groups"] for rule in group["rules"] if "alert" in rule]
