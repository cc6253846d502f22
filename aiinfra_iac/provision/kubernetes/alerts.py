"""aiinfra's alert rules as PrometheusRule objects for kube-prometheus-stack (pure data).

One source: each pool's rules are the observability role's template
(``roles/observability/templates/aiinfra-alerts.rules.yml.j2``) rendered with the same per-pool
variables the configure stage gives the role on Slurm and sandbox nodes, then wrapped in a
``monitoring.coreos.com/v1`` PrometheusRule
(https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PrometheusRule).

The rules scope every alert to its pool by joining on ``aiinfra_node_info{cluster,pool}``. On
Slurm nodes the node exporter's textfile collector writes that series; on Kubernetes no node
carries the file, so a recording rule builds it from the node's ``aiinfra.dev/pool`` label:

* kube-state-metrics exports the label as ``kube_node_labels{node, label_aiinfra_dev_pool}`` once
  it is allow-listed (``kube-state-metrics.metricLabelsAllowlist``, see :func:`ksm_values`;
  https://github.com/kubernetes/kube-state-metrics/blob/main/docs/developer/cli-arguments.md,
  ``--metric-labels-allowlist``);
* the record copies ``node`` into ``Hostname`` (the DCGM exporter's host label the GPU rules join
  on) and ``instance`` (the node exporter's, which the fabric and file-system rules join on); the
  ServiceMonitors are told to set those two labels to the node name (:func:`relabel_to_node`).

RdmaDeviceMissing needs ``aiinfra_fabric_device_expected`` (textfile only), so on Kubernetes the
rules are rendered without expected devices, which leaves that alert out; the NicClusterPolicy and
the validate stage cover missing HCAs there.
"""

from __future__ import annotations

from typing import Any

import yaml

from aiinfra_iac.observability.rules import render_alert_rules
from aiinfra_iac.plan.model import ClusterPlan, PoolPlan
from aiinfra_iac.provision.kubernetes.topology import POOL_LABEL
from aiinfra_iac.resources import bundled_path

PROMETHEUS_RULE_API = "monitoring.coreos.com/v1"
KSM_POOL_LABEL = "label_" + POOL_LABEL.replace(".", "_").replace("/", "_")
"""kube-state-metrics turns a Kubernetes label into ``label_<name>`` with invalid characters as ``_``."""
NODE_INFO_GROUP = "aiinfra-node-info"


def role_defaults() -> dict[str, Any]:
    """The observability role's defaults (thresholds, ``for`` durations) shared with Slurm nodes."""
    path = bundled_path("roles") / "observability" / "defaults" / "main.yml"
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def pool_rule_vars(plan: ClusterPlan, pool: PoolPlan) -> dict[str, Any]:
    """The role variables of one pool, as ``configure.rolevars.observability_vars`` sets them."""
    return {
        **role_defaults(),
        "observability_cluster": plan.name,
        "observability_pool": pool.name,
        "observability_gpu_count": pool.gpus_per_node,
        "observability_nvlink": bool(pool.gpu and pool.gpu.nvswitch),
        "observability_fabric_type": pool.fabric.type if pool.fabric else "none",
        "observability_fabric_devices": [],
    }


def rule_name(plan: ClusterPlan, pool: PoolPlan | None) -> str:
    return f"aiinfra-{plan.name}-{pool.name}" if pool is not None else f"aiinfra-{plan.name}-node-info"


def node_info_groups(plan: ClusterPlan) -> list[dict[str, Any]]:
    """The recording rule that gives Kubernetes nodes the ``aiinfra_node_info`` the alerts join on."""
    by_node = f'max by (node, {KSM_POOL_LABEL}) (kube_node_labels{{{KSM_POOL_LABEL}!=""}})'
    expr = by_node
    for target, source in (("pool", KSM_POOL_LABEL), ("Hostname", "node"), ("instance", "node")):
        expr = f'label_replace({expr}, "{target}", "$1", "{source}", "(.+)")'
    return [
        {
            "name": NODE_INFO_GROUP,
            "rules": [
                {
                    "record": "aiinfra_node_info",
                    "expr": f"max without ({KSM_POOL_LABEL}) ({expr})",
                    "labels": {"cluster": plan.name},
                }
            ],
        }
    ]


def pool_groups(plan: ClusterPlan, pool: PoolPlan) -> list[dict[str, Any]]:
    """The pool's rule groups, exactly as the role's template renders them."""
    groups: list[dict[str, Any]] = yaml.safe_load(render_alert_rules(pool_rule_vars(plan, pool)))["groups"]
    return groups


def prometheus_rules(plan: ClusterPlan) -> dict[str, list[dict[str, Any]]]:
    """PrometheusRule name -> its ``spec.groups``: the node-info record, then one per pool."""
    if not plan.observability.alerts or plan.observability.metrics != "prometheus":
        return {}
    out = {rule_name(plan, None): node_info_groups(plan)}
    out.update({rule_name(plan, pool): pool_groups(plan, pool) for pool in plan.pools})
    return out


def relabel_to_node(*labels: str) -> list[dict[str, Any]]:
    """ServiceMonitor relabelings that set ``labels`` to the scraped pod's node name."""
    return [
        {"action": "replace", "sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": label}
        for label in labels
    ]


def ksm_values() -> dict[str, Any]:
    """kube-state-metrics subchart values: export the pool label on ``kube_node_labels``.

    Chart value ``metricLabelsAllowlist`` (``<resource>=[<label>,…]``):
    https://github.com/prometheus-community/helm-charts/blob/main/charts/kube-state-metrics/values.yaml
    """
    return {"metricLabelsAllowlist": [f"nodes=[{POOL_LABEL}]"]}
