"""aiinfra's alert rules as PrometheusRule objects for kube-prometheus-stack (pure data).

One source: each pool's rules are the observability role's template
(``roles/observability/templates/aiinfra-alerts.rules.yml.j2``) rendered with the same per-pool
variables the configure stage gives the role on Slurm and sandbox nodes, then wrapped in a
``monitoring.coreos.com/v1`` PrometheusRule
(https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PrometheusRule).

The rules scope every alert to its pool by joining on ``aiinfra_node_info{cluster,pool}``. On
Slurm nodes the node exporter's textfile collector writes that series; on Kubernetes no node
carries the file, so recording rules build it from the labels that pick each pool's nodes (the
Kueue flavor's: ``aiinfra.dev/pool`` on EKS, the pool's blueprint labels on an existing cluster):

* kube-state-metrics exports them on ``kube_node_labels{node, label_<key>}`` once they are
  allow-listed (``kube-state-metrics.metricLabelsAllowlist``, see :func:`ksm_values`;
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

import re
from typing import Any

import yaml

from aiinfra_iac.observability.rules import render_alert_rules
from aiinfra_iac.plan.model import ClusterPlan, PoolPlan
from aiinfra_iac.provision.kubernetes.topology import pool_selector
from aiinfra_iac.resources import bundled_path

PROMETHEUS_RULE_API = "monitoring.coreos.com/v1"
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


def ksm_label(key: str) -> str:
    """kube-state-metrics' name for a node label: ``label_`` and the key with invalid characters as ``_``."""
    return "label_" + re.sub(r"[^a-zA-Z0-9_]", "_", key)


def node_info_groups(plan: ClusterPlan) -> list[dict[str, Any]]:
    """Recording rules that give each pool's Kubernetes nodes the ``aiinfra_node_info`` the alerts join on.

    One per pool: the nodes whose labels match the pool's selector (:func:`topology.pool_selector`,
    the same labels its Kueue flavor selects), with ``node`` copied into ``Hostname`` and ``instance``.
    """
    rules = []
    for pool in plan.pools:
        matchers = ",".join(f'{ksm_label(k)}="{v}"' for k, v in sorted(pool_selector(plan, pool).items()))
        expr = f"max by (node) (kube_node_labels{{{matchers}}})"
        for target in ("Hostname", "instance"):
            expr = f'label_replace({expr}, "{target}", "$1", "node", "(.+)")'
        rules.append(
            {"record": "aiinfra_node_info", "expr": expr, "labels": {"cluster": plan.name, "pool": pool.name}}
        )
    return [{"name": NODE_INFO_GROUP, "rules": rules}]


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


def ksm_values(plan: ClusterPlan) -> dict[str, Any]:
    """kube-state-metrics subchart values: export the pools' selector labels on ``kube_node_labels``.

    Chart value ``metricLabelsAllowlist`` (``<resource>=[<label>,…]``):
    https://github.com/prometheus-community/helm-charts/blob/main/charts/kube-state-metrics/values.yaml
    """
    keys = sorted({key for pool in plan.pools for key in pool_selector(plan, pool)})
    return {"metricLabelsAllowlist": [f"nodes=[{','.join(keys)}]"]}
