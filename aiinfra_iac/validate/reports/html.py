"""A self-contained HTML report: verdict, plots (embedded PNG) and the table of checks.

Plots: bus bandwidth vs message size per node for every NCCL check, with the expectation and the
failBelow/warnBelow lines; per-node gpu-burn results (Gflop/s per GPU, FAULTY in red); RDMA
bandwidth per node and rail against its expectation. matplotlib is imported here only (Agg).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

from aiinfra_iac.plan.model import ClusterPlan, ValidationCheckPlan
from aiinfra_iac.validate import layout
from aiinfra_iac.validate.provenance import CPU_BANNER
from aiinfra_iac.validate.safe_read import ResultReadError, cap_for, read_result_file
from aiinfra_iac.validate.types import CheckResult, Verdict

MAX_LINES = 16
"""NCCL curves drawn per plot: the slowest nodes (by measured busbw) beyond this are summarised."""
MAX_BARS = 64
COLORS = {"pass": "#2e7d32", "warn": "#f9a825", "fail": "#c62828"}


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _read(path: Path, root: Path, kind: str) -> str | None:
    try:
        return read_result_file(path, root=root, cap=cap_for(kind))
    except ResultReadError:
        return None  # the judge already reported the file as missing/unreadable/oversized


def nccl_plot(
    plan: ClusterPlan,
    check: ValidationCheckPlan,
    results: list[CheckResult],
    root: Path,
    judged: int | None = None,
) -> str:
    """busbw vs size for the slowest nodes; ``judged``: the planned largest size, where busbw is judged."""
    from aiinfra_iac.validate.parsers.nccl import parse_nccl_tests

    plt = _pyplot()
    chosen = sorted(results, key=lambda r: (r.measured is None, r.measured or 0.0))[:MAX_LINES]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    drawn = 0
    for result in chosen:
        text = _read(layout.check_path(plan, root, check, result.node), root, check.kind)
        if text is None:
            continue
        rows = [
            r for r in parse_nccl_tests(text, collective=layout.collective_of(check)).rows if r.size_bytes > 0
        ]
        if rows:
            ax.plot(
                [r.size_bytes for r in rows],
                [r.oop_busbw_gbps for r in rows],
                marker=".",
                # matplotlib hides labels starting with "_": name the multi-node run by its pool
                label=f"{result.node if result.node != layout.CLUSTER_DIR else 'pool ' + check.pool} "
                f"({result.status})",
                color=COLORS[result.status] if result.status != "pass" else None,
            )
            drawn += 1
    if check.expected:
        ax.axhline(
            check.expected, color="black", linewidth=1, label=f"expected {check.expected:g} {check.unit}"
        )
        ax.axhline(
            check.expected * plan.rules.fail_below, color=COLORS["fail"], linestyle="--", label="failBelow"
        )
        ax.axhline(
            check.expected * plan.rules.warn_below, color=COLORS["warn"], linestyle=":", label="warnBelow"
        )
    if judged:
        ax.axvline(judged, color="#555", linestyle="-.", linewidth=1, label=f"judged size {judged} B")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("message size (bytes)")
    ax.set_ylabel("out-of-place bus bandwidth (GB/s)")
    more = f" — {drawn} slowest of {len(results)}" if len(results) > len(chosen) else ""
    ax.set_title(f"{check.id}{more}")
    ax.grid(True, which="both", alpha=0.3)
    if drawn or check.expected:
        ax.legend(fontsize=7, loc="upper left")
    data = _png(fig)
    plt.close(fig)
    return data


def burn_plot(plan: ClusterPlan, check: ValidationCheckPlan, results: list[CheckResult], root: Path) -> str:
    from aiinfra_iac.validate.parsers.gpu_burn import parse_gpu_burn

    plt = _pyplot()
    labels: list[str] = []
    values: list[float] = []
    colors: list[str] = []
    per_node = int(check.params.get("gpus", plan.pool(check.pool).gpus_per_node)) or 2
    shown = sorted(results, key=lambda r: (r.status == "pass", r.measured or 0.0, r.node))
    for result in shown[: max(1, MAX_BARS // per_node)]:  # failed nodes first, then the slowest
        text = _read(layout.check_path(plan, root, check, result.node), root, check.kind)
        parsed = parse_gpu_burn(text) if text is not None else None
        if parsed is None or not parsed.gpus:
            labels.append(f"{result.node}\n(no result)")
            values.append(0.0)
            colors.append(COLORS["fail"])
            continue
        for gpu in parsed.gpus:
            labels.append(f"{result.node}/{gpu.index}")
            values.append(gpu.gflops or 0.0)
            colors.append(COLORS["fail"] if gpu.status == "FAULTY" else COLORS["pass"])
    fig, ax = plt.subplots(figsize=(max(6.0, 0.25 * len(labels) + 2), 4))
    ax.bar(range(len(values)), values, color=colors)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=6)
    ax.set_ylabel("Gflop/s per GPU (red: FAULTY or no result)")
    more = (
        f" ({max(1, MAX_BARS // per_node)} of {len(results)} nodes: failed, then slowest)"
        if len(results) > max(1, MAX_BARS // per_node)
        else ""
    )
    ax.set_title(f"{check.id} — per-node burn results{more}")
    data = _png(fig)
    plt.close(fig)
    return data


def rdma_plot(checks: list[ValidationCheckPlan], results: list[CheckResult], rules_fail: float) -> str:
    """Every rail of every node in one chart: the slowest ``MAX_BARS`` (node, rail) pairs."""
    plt = _pyplot()
    chosen = sorted(results, key=lambda r: (r.measured is None, r.measured or 0.0))[:MAX_BARS]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.25 * len(chosen) + 2), 4))
    ax.bar(range(len(chosen)), [r.measured or 0.0 for r in chosen], color=[COLORS[r.status] for r in chosen])
    ax.set_xticks(
        range(len(chosen)), [f"{r.node} {_rail(r, checks)}" for r in chosen], rotation=90, fontsize=6
    )
    for expected in sorted({c.expected for c in checks if c.expected}):
        ax.axhline(expected, color="black", linewidth=1, label=f"expected {expected:g}")
        ax.axhline(expected * rules_fail, color=COLORS["fail"], linestyle="--", label="failBelow")
    ax.set_ylabel(checks[0].unit or "Gb/s")
    more = f" — {len(chosen)} slowest of {len(results)}" if len(results) > len(chosen) else ""
    ax.set_title(f"ib_write_bw average bandwidth per node and rail{more}")
    ax.legend(fontsize=7, loc="lower right")
    data = _png(fig)
    plt.close(fig)
    return data


def _rail(result: CheckResult, checks: list[ValidationCheckPlan]) -> str:
    for check in checks:
        if result.id.startswith(check.id + ":"):
            device = check.params.get("device")
            suffix = result.id[len(check.id) + len(result.node) + 2 :]
            return str(device) if device is not None else suffix
    return ""


def _plots(plan: ClusterPlan, verdict: Verdict, root: Path) -> list[tuple[str, str]]:
    """Each registered kind draws its own checks' plots, in registry order."""
    from aiinfra_iac.validate.kinds import KINDS

    by_check: dict[str, list[CheckResult]] = {}
    for result in verdict.checks:
        for check in plan.validation:
            if result.id.startswith(check.id + ":"):
                by_check.setdefault(check.id, []).append(result)
                break
    out: list[tuple[str, str]] = []
    for name, kind in KINDS.items():
        checks = [c for c in plan.validation if c.kind == name]
        if checks:
            out.extend(kind.plot(plan, checks, by_check, root))
    return out


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
.badge{display:inline-block;padding:.2em .8em;border-radius:4px;color:#fff;font-weight:bold}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}
tr.fail td:first-child{color:#c62828;font-weight:bold}tr.warn td:first-child{color:#b8860b;font-weight:bold}
tr.pass td:first-child{color:#2e7d32}figure{margin:1em 0}img{max-width:100%}
.banner{background:#c62828;color:#fff;font-weight:bold;padding:.5em 1em;font-size:1.2em}
.heatwrap{overflow-x:auto;border:1px solid #ccc}figure svg{max-width:100%}"""


MAX_PLOT_NODES = 64
"""Above this many nodes the per-node matplotlib plots give way to the fleet views alone."""
MAX_TABLE_ROWS = 1000


def _provenance(verdict: Verdict) -> str:
    esc = html.escape
    prov = verdict.provenance
    if prov is None:
        return ""
    banner = f'<p class="banner">{esc(CPU_BANNER)}</p>' if prov.cpu_fallback else ""
    nodes = "".join(
        f"<tr><td>{esc(node)}</td><td>{esc(_versions(record))}</td>"
        f"<td>{esc(', '.join(map(str, record.get('gpus', []) or [])))}</td>"  # type: ignore[call-overload]
        f"<td>{esc(', '.join(map(str, record.get('hcas', []) or [])))}</td></tr>"  # type: ignore[call-overload]
        for node, record in list(prov.nodes.items())[:MAX_PLOT_NODES]
    )
    more = (
        f"<p>… and {len(prov.nodes) - MAX_PLOT_NODES} more nodes (JSON report)</p>"
        if len(prov.nodes) > MAX_PLOT_NODES
        else ""
    )
    return (
        f'{banner}<p class="prov">Judged {esc(prov.timestamp)} by aiinfra {esc(prov.aiinfra_version)}; '
        f"blueprint <code>{esc(prov.blueprint or '?')}</code> "
        f"sha256 <code>{esc(prov.blueprint_sha256 or '?')}</code>.</p>"
        "<details><summary>Versions and inventory seen per node</summary>"
        "<table><tr><th>node</th><th>versions</th>"
        f"<th>GPUs</th><th>HCAs</th></tr>{nodes}</table>{more}</details>"
    )


def _versions(record: dict[str, object]) -> str:
    versions = record.get("versions")
    if not isinstance(versions, dict):
        return ""
    return ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))


def _fleet(plan: ClusterPlan, verdict: Verdict, root: Path) -> str:
    from aiinfra_iac.validate.reports import fleet

    esc = html.escape

    def read(check: ValidationCheckPlan, node: str) -> str | None:
        return _read(layout.check_path(plan, root, check, node), root, check.kind)

    hists = "".join(
        f"<figure><figcaption>{esc(t)}</figcaption>{svg}</figure>"
        for t, svg in fleet.histograms(plan, verdict)
    )
    curves = "".join(
        f"<figure><figcaption>{esc(t)}</figcaption>{svg}</figure>"
        for t, svg in fleet.pool_curves(plan, verdict, root, read)
    )
    return (
        f"<h2>Worst {fleet.WORST_N}</h2>{fleet.worst_table(verdict)}"
        f'<h2>Heat map (node x check)</h2><div class="heatwrap">{fleet.heat_map(plan, verdict)}</div>'
        f"<h2>Bandwidth per check</h2>{hists or '<p>No bandwidth results.</p>'}"
        f"<h2>NCCL per pool</h2>{curves or '<p>No single-node NCCL results.</p>'}"
    )


def render_html(plan: ClusterPlan, verdict: Verdict, results_dir: Path) -> str:
    """The report as one HTML document: fleet views (SVG), per-node plots (PNG) on small fleets."""
    esc = html.escape
    listed = list(verdict.checks)
    cut = ""
    if len(listed) > MAX_TABLE_ROWS:
        listed = [c for c in listed if c.status != "pass"]
        hidden = len(verdict.checks) - len(listed)
        cut = f"<p>{hidden} passing checks not listed (JSON/JUnit reports have all).</p>"
        if len(listed) > MAX_TABLE_ROWS:
            cut += f"<p>First {MAX_TABLE_ROWS} of {len(listed)} failed/warned checks listed.</p>"
            listed = sorted(listed, key=lambda c: ({"fail": 0, "warn": 1, "pass": 2}[c.status], c.id))[
                :MAX_TABLE_ROWS
            ]
    nodes = len({c.node for c in verdict.checks})
    rows = "\n".join(
        f'<tr class="{c.status}"><td>{c.status.upper()}</td><td>{esc(c.id)}</td><td>{esc(c.node)}</td>'
        f"<td>{'' if c.measured is None else f'{c.measured:g}'}</td>"
        f"<td>{'' if c.expected is None else f'{c.expected:g}'}</td><td>{esc(c.unit)}</td>"
        f"<td>{esc(c.detail)}</td></tr>"
        for c in sorted(listed, key=lambda c: ({"fail": 0, "warn": 1, "pass": 2}[c.status], c.id))
    )
    figures = "\n".join(
        f'<figure><figcaption>{esc(title)}</figcaption><img alt="{esc(title)}" '
        f'src="data:image/png;base64,{data}"></figure>'
        for title, data in (_plots(plan, verdict, results_dir) if nodes <= MAX_PLOT_NODES else [])
    )
    counts = {s: sum(1 for c in verdict.checks if c.status == s) for s in ("pass", "warn", "fail")}
    rules = plan.rules
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>aiinfra validate — {esc(verdict.cluster)}</title>
<style>{_CSS}</style></head><body>
<h1>Validation of {esc(verdict.cluster)}
<span class="badge" style="background:{COLORS[verdict.verdict]}">{verdict.verdict.upper()}</span></h1>
<p>{counts["pass"]} passed, {counts["warn"]} warned, {counts["fail"]} failed.
Rules: fail below {rules.fail_below:g} x expected, warn below {rules.warn_below:g} x expected,
outliers more than {rules.outlier_pct:g}% under the pool median.
Results from <code>{esc(str(results_dir))}</code>.</p>
{_provenance(verdict)}
{_fleet(plan, verdict, results_dir)}
<h2>Plots per node</h2>
{figures or f"<p>Per-node plots are drawn up to {MAX_PLOT_NODES} nodes; the fleet views cover the rest.</p>"}
<h2>Checks</h2>{cut}
<table><tr><th>status</th><th>check</th><th>node</th><th>measured</th><th>expected</th><th>unit</th><th>detail</th></tr>
{rows}
</table></body></html>
"""
