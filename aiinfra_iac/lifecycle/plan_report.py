"""Human forms of the plan document: rich tables for the terminal, Markdown for pull requests.

Host lists are shortened (first few, then a count) so a 10,240-node pool stays one row; the
JSON form keeps every host.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table

from aiinfra_iac.plan.review import topology_lines
from aiinfra_iac.provision.plan_review_render import markdown_review, pool_facts
from aiinfra_iac.terminal import markup, plain

HOSTS_SHOWN = 3


def short_hosts(hosts: list[str]) -> str:
    if len(hosts) <= HOSTS_SHOWN:
        return ", ".join(hosts)
    return f"{', '.join(hosts[:HOSTS_SHOWN])} … (+{len(hosts) - HOSTS_SHOWN} more)"


def _expected(check: dict[str, Any]) -> str:
    value = check.get("expected")
    if value is None:
        return "pass/fail"
    return f"{value:g} {check.get('unit', '')}".strip()


def _summary_line(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    return (
        f"{doc['cluster']}: {s['nodes']} node(s), {s['gpus']} GPU(s), "
        f"about ${s['estimatedHourlyUSD']:,.2f}/hour; {len(doc['resources'])} cloud resource(s), "
        f"{len(doc['validation'])} validation check(s)"
    )


def resource_counts(doc: dict[str, Any]) -> list[tuple[str, int]]:
    return sorted(Counter(r["type"] for r in doc["resources"]).items())


def print_text(console: Console, doc: dict[str, Any]) -> None:
    console.print(f"[bold]{markup(_summary_line(doc))}[/bold]")
    if doc["resources"]:
        resources = Table(title="Resources (Pulumi)", title_justify="left")
        resources.add_column("type", overflow="fold")
        resources.add_column("name", overflow="fold")
        for r in doc["resources"]:
            resources.add_row(markup(r["type"]), markup(r["name"]))
        console.print(resources)
    else:
        console.print("Resources: none to create (the hosts exist; configure and validate use them).")
    config = Table(title="Configuration (Ansible)", title_justify="left")
    for column in ("pool", "nodes", "hosts", "roles"):
        config.add_column(column)
    for entry in doc["configuration"]:
        hosts = list(entry["hosts"])
        roles = ", ".join(entry["roles"])
        config.add_row(markup(entry["pool"]), str(len(hosts)), markup(short_hosts(hosts)), markup(roles))
    console.print(config)
    checks = Table(title="Validation", title_justify="left")
    for column in ("id", "kind", "pool", "expected"):
        checks.add_column(column)
    for check in doc["validation"]:
        checks.add_row(*(markup(v) for v in (check["id"], check["kind"], check["pool"], _expected(check))))
    console.print(checks)
    print_review(console, doc)


def print_review(console: Console, doc: dict[str, Any]) -> None:
    """Per pool: GPU, fabric, rails, QoS, NCCL env, driver, thresholds, cost; then caveats."""
    review = doc.get("review")
    if not review:
        return
    for pool in review["pools"]:
        table = Table(title=f"Pool {markup(pool['pool'])}", title_justify="left", show_header=False)
        table.add_column("what", style="bold")
        table.add_column("value", overflow="fold")
        for label, value in pool_facts(pool):
            table.add_row(markup(label), markup(value))
        console.print(table)
    for line in topology_lines(review):
        console.print(plain(line), highlight=False, markup=False)
    for caveat in review.get("costCaveats", []):
        console.print(plain(f"cost caveat: {caveat}"), highlight=False, markup=False)
    for item in review.get("suppressed", []):
        console.print(
            plain(f"accepted warning {item['id']}: {item['reason']}"), highlight=False, markup=False
        )


def _md_cell(text: str) -> str:
    return plain(text, newlines=False).replace("|", "\\|").replace("<", "&lt;")


def render_markdown(doc: dict[str, Any]) -> str:
    """A pull-request comment: summary, resource counts, configuration, checks, full inputs folded."""
    s = doc["summary"]
    lines = [
        f"### aiinfra plan: `{doc['cluster']}`",
        "",
        f"**{s['nodes']}** nodes · **{s['gpus']}** GPUs · about **${s['estimatedHourlyUSD']:,.2f}/hour**",
        "",
    ]
    if doc["resources"]:
        lines += ["| resource type | count |", "|---|---:|"]
        lines += [f"| `{t}` | {n} |" for t, n in resource_counts(doc)]
    else:
        lines.append("No cloud resources: the hosts exist; configuration and validation use them.")
    lines += ["", "| pool | nodes | hosts | roles |", "|---|---:|---|---|"]
    for entry in doc["configuration"]:
        hosts = list(entry["hosts"])
        lines.append(
            f"| {_md_cell(entry['pool'])} | {len(hosts)} | {_md_cell(short_hosts(hosts))} | "
            f"{_md_cell(', '.join(entry['roles']))} |"
        )
    lines += ["", "| check | kind | pool | expected |", "|---|---|---|---|"]
    for check in doc["validation"]:
        lines.append(
            f"| `{check['id']}` | {check['kind']} | {check['pool']} | {_md_cell(_expected(check))} |"
        )
    lines += markdown_review(doc)
    if doc["resources"]:
        lines += [
            "",
            "<details><summary>Resource inputs</summary>",
            "",
            "```json",
            json.dumps(doc["resources"], indent=2, sort_keys=True),
            "```",
            "",
            "</details>",
        ]
    return plain("\n".join(lines) + "\n")
