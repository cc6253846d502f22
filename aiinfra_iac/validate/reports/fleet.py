"""Fleet views of the HTML report, light at 1,024 nodes: inline SVG, no per-node images.

- a node x check heat map (one column per node, one row per check and RDMA rail; colour = measured
  / expected, or the status where a check has no figure);
- a histogram of the measured value per bandwidth check (NCCL busbw, RDMA Gb/s over all rails);
- the worst-N table (failures first, then the lowest share of the expectation);
- one NCCL curve per pool: median busbw per message size with the min-max spread as a band, the
  judged (planned largest) size marked.
"""

from __future__ import annotations

import html
import statistics
from collections.abc import Callable
from pathlib import Path

from aiinfra_iac.plan.model import ClusterPlan, ValidationCheckPlan
from aiinfra_iac.validate.types import CheckResult, Verdict

WORST_N = 25
COLORS = {"pass": "#2e7d32", "warn": "#f9a825", "fail": "#c62828", "none": "#e0e0e0"}
_SEVERITY = {"fail": 0, "warn": 1, "pass": 2}


def _owner(plan: ClusterPlan) -> Callable[[CheckResult], ValidationCheckPlan | None]:
    by_prefix = sorted(plan.validation, key=lambda c: -len(c.id))

    def find(result: CheckResult) -> ValidationCheckPlan | None:
        for check in by_prefix:
            if result.id.startswith(check.id + ":"):
                return check
        return None

    return find


def _ratio(result: CheckResult) -> float | None:
    if result.measured is None or not result.expected:
        return None
    return result.measured / result.expected


def _cell_color(result: CheckResult, fail_below: float) -> str:
    ratio = _ratio(result)
    if ratio is None or result.status != "pass":
        return COLORS[result.status]
    # passing cells from dark green (>= 1.0) to light green (at failBelow)
    share = max(0.0, min(1.0, (ratio - fail_below) / max(1e-9, 1.0 - fail_below)))
    light = int(200 - 120 * share)
    return f"rgb({light - 40},{min(255, light + 30)},{light - 40})"


def _row_label(result: CheckResult, check: ValidationCheckPlan | None) -> str:
    if check is None:
        return result.kind
    rest = result.id[len(check.id) + 1 :]
    suffix = rest[len(result.node) + 1 :] if rest.startswith(result.node + ":") else ""
    return f"{check.id}" + (f":{suffix}" if suffix else "")


def heat_map(plan: ClusterPlan, verdict: Verdict) -> str:
    """SVG: one column per node, one row per (check, rail); grey where a node has no result."""
    find = _owner(plan)
    nodes: list[str] = []
    rows: list[str] = []
    cells: dict[tuple[str, str], CheckResult] = {}
    for result in verdict.checks:
        if result.node.startswith("_"):
            continue
        label = (
            _row_label(result, find(result))
            if result.kind not in ("unreachable", "snapshot")
            else result.kind
        )
        if result.node not in nodes:
            nodes.append(result.node)
        if label not in rows:
            rows.append(label)
        cells[(label, result.node)] = result
    if not nodes:
        return ""
    nodes.sort()
    # one pixel or more per node, no scaling: labels stay readable at 1,024 nodes
    cw, ch, left, top = max(1, min(24, 1100 // len(nodes))), 14, 260, 18
    width, height = left + cw * len(nodes), top + ch * len(rows) + 4
    out = [
        f'<svg class="heat" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-label="node x check heat map">',
        f'<rect x="{left}" y="{top}" width="{cw * len(nodes)}" height="{ch * len(rows)}" '
        f'fill="{COLORS["none"]}"/>',
    ]
    fail_below = plan.rules.fail_below
    for r, label in enumerate(rows):
        y = top + r * ch
        out.append(
            f'<text x="{left - 4}" y="{y + ch - 3}" font-size="10" text-anchor="end">'
            f"{html.escape(label)}</text>"
        )
        for n, node in enumerate(nodes):
            cell = cells.get((label, node))
            if cell is None:
                continue
            result = cell
            tip = f"{node} {label}: {result.status}" + (
                f" {result.measured:g} {result.unit}" if result.measured is not None else ""
            )
            out.append(
                f'<rect x="{left + n * cw}" y="{y}" width="{cw - 1 if cw > 2 else cw}" height="{ch - 2}" '
                f'fill="{_cell_color(result, fail_below)}"><title>{html.escape(tip)}</title></rect>'
            )
    step = max(1, len(nodes) // 16)
    for n in range(0, len(nodes), step):
        out.append(f'<text x="{left + n * cw}" y="12" font-size="9">{html.escape(nodes[n])}</text>')
    out.append("</svg>")
    return "".join(out)


def histograms(plan: ClusterPlan, verdict: Verdict) -> list[tuple[str, str]]:
    """(title, SVG) per NCCL check and one per pool for all RDMA rails."""
    find = _owner(plan)
    groups: dict[str, list[CheckResult]] = {}
    expected: dict[str, float | None] = {}
    for result in verdict.checks:
        check = find(result)
        if check is None or result.measured is None or check.kind not in ("nccl", "rdma"):
            continue
        key = f"{check.id} busbw" if check.kind == "nccl" else f"rdma:{check.pool} (all rails)"
        groups.setdefault(key, []).append(result)
        expected.setdefault(key, check.expected)
    return [
        (title, _histogram(results, expected[title], plan.rules.fail_below))
        for title, results in groups.items()
    ]


def _histogram(results: list[CheckResult], expected: float | None, fail_below: float, bins: int = 24) -> str:
    values = [r.measured for r in results if r.measured is not None]
    lo = min(values + ([expected * fail_below * 0.9] if expected else []))
    hi = max(values + ([expected * 1.05] if expected else []))
    span = (hi - lo) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / span * bins))] += 1
    w, h, pad = 480, 160, 28
    top = max(counts) or 1
    bar = (w - 2 * pad) / bins
    unit = html.escape(results[0].unit)
    out = [f'<svg class="hist" viewBox="0 0 {w} {h}" width="{w}" height="{h}">']
    for i, c in enumerate(counts):
        if c:
            bh = (h - 2 * pad) * c / top
            left_edge = lo + i * span / bins
            color = COLORS["fail"] if expected and left_edge < expected * fail_below else "#1565c0"
            out.append(
                f'<rect x="{pad + i * bar:.1f}" y="{h - pad - bh:.1f}" '
                f'width="{bar - 1:.1f}" height="{bh:.1f}" '
                f'fill="{color}"><title>{c} results</title></rect>'
            )

    def x_of(v: float) -> float:
        return pad + (v - lo) / span * (w - 2 * pad)

    if expected:
        for value, color, name in (
            (expected, "#000", "expected"),
            (expected * fail_below, COLORS["fail"], "failBelow"),
        ):
            x = x_of(value)
            out.append(
                f'<line x1="{x:.1f}" y1="{pad - 8}" x2="{x:.1f}" y2="{h - pad}" stroke="{color}" '
                'stroke-dasharray="4 2"/>'
            )
            out.append(f'<text x="{x + 2:.1f}" y="{pad - 10}" font-size="9">{name} {value:g}</text>')
    out.append(f'<text x="{pad}" y="{h - 8}" font-size="9">{lo:.4g} {unit}</text>')
    out.append(f'<text x="{w - pad}" y="{h - 8}" font-size="9" text-anchor="end">{hi:.4g} {unit}</text>')
    out.append(f'<text x="{pad}" y="12" font-size="9">{len(values)} results, max {top} per bin</text></svg>')
    return "".join(out)


def worst(verdict: Verdict, n: int = WORST_N) -> list[CheckResult]:
    """Failures first, then warnings, then the lowest share of the expectation."""

    def key(r: CheckResult) -> tuple[int, float, str]:
        ratio = _ratio(r)
        return (_SEVERITY[r.status], ratio if ratio is not None else 2.0, r.id)

    return sorted(verdict.checks, key=key)[:n]


def worst_table(verdict: Verdict, n: int = WORST_N) -> str:
    esc = html.escape
    rows = "".join(
        f'<tr class="{c.status}"><td>{c.status.upper()}</td><td>{esc(c.node)}</td><td>{esc(c.id)}</td>'
        f"<td>{'' if c.measured is None else f'{c.measured:g} {esc(c.unit)}'}</td>"
        f"<td>{'' if _ratio(c) is None else f'{_ratio(c):.0%}'}</td><td>{esc(c.detail[:240])}</td></tr>"
        for c in worst(verdict, n)
    )
    return (
        '<table class="worst"><tr><th>status</th><th>node</th><th>check</th><th>measured</th>'
        f"<th>of expected</th><th>detail</th></tr>{rows}</table>"
    )


def pool_curves(
    plan: ClusterPlan, verdict: Verdict, root: Path, read: Callable[[ValidationCheckPlan, str], str | None]
) -> list[tuple[str, str]]:
    """Per node-scope NCCL check: median busbw per size over the pool's nodes, min-max band."""
    from aiinfra_iac.validate.kinds.params import nccl_params
    from aiinfra_iac.validate.parsers.nccl import parse_nccl_tests

    find = _owner(plan)
    out: list[tuple[str, str]] = []
    for check in plan.validation:
        if check.kind != "nccl" or check.scope != "node":
            continue
        per_size: dict[int, list[float]] = {}
        nodes = [r.node for r in verdict.checks if find(r) is check]
        for node in nodes:
            text = read(check, node)
            if text is None:
                continue
            for row in parse_nccl_tests(text).rows:
                if row.size_bytes > 0:
                    per_size.setdefault(row.size_bytes, []).append(row.oop_busbw_gbps)
        if per_size:
            judged = nccl_params(check, plan.pool(check.pool)).planned_largest
            title = f"{check.id}: busbw per size over {len(nodes)} nodes (median, min-max band)"
            out.append((title, _curve(per_size, check.expected, judged)))
    return out


def _curve(per_size: dict[int, list[float]], expected: float | None, judged: int) -> str:
    import math

    sizes = sorted(per_size)
    w, h, pad = 640, 240, 36
    x0, x1 = math.log2(sizes[0]), math.log2(max(sizes[-1], judged))
    top = max(max(v) for v in per_size.values())
    top = max(top, expected or 0.0) * 1.08 or 1.0

    def x(size: int) -> float:
        return pad + (math.log2(size) - x0) / ((x1 - x0) or 1.0) * (w - 2 * pad)

    def y(value: float) -> float:
        return h - pad - value / top * (h - 2 * pad)

    upper = [f"{x(s):.1f},{y(max(per_size[s])):.1f}" for s in sizes]
    lower = [f"{x(s):.1f},{y(min(per_size[s])):.1f}" for s in reversed(sizes)]
    median = [f"{x(s):.1f},{y(statistics.median(per_size[s])):.1f}" for s in sizes]
    out = [
        f'<svg class="curve" viewBox="0 0 {w} {h}" width="{w}" height="{h}">',
        f'<polygon points="{" ".join(upper + lower)}" fill="#90caf9" opacity="0.6"/>',
        f'<polyline points="{" ".join(median)}" fill="none" stroke="#0d47a1" stroke-width="2"/>',
        f'<line x1="{x(judged):.1f}" y1="{pad}" x2="{x(judged):.1f}" y2="{h - pad}" stroke="#555" '
        'stroke-dasharray="5 3"/>',
        f'<text x="{x(judged) - 4:.1f}" y="{pad - 4}" font-size="9" text-anchor="end">'
        f"judged size {judged} B</text>",
        f'<text x="{pad}" y="{h - 10}" font-size="9">{sizes[0]} B</text>',
        f'<text x="{w - pad}" y="{h - 10}" font-size="9" text-anchor="end">{sizes[-1]} B (log2 scale)</text>',
        f'<text x="4" y="{pad}" font-size="9">{top:.0f} GB/s</text>',
    ]
    if expected:
        out.append(
            f'<line x1="{pad}" y1="{y(expected):.1f}" x2="{w - pad}" y2="{y(expected):.1f}" '
            'stroke="#000" stroke-dasharray="2 2"/>'
        )
        out.append(
            f'<text x="{pad + 2}" y="{y(expected) - 2:.1f}" font-size="9">expected {expected:g} GB/s</text>'
        )
    out.append("</svg>")
    return "".join(out)
