"""A small syntax checker for the mermaid ``flowchart`` subset the plan report writes.

The mermaid CLI (``npx -y @mermaid-js/mermaid-cli``) needs a headless Chromium, which CI does
not have; this parser accepts exactly the statement forms mermaid's flowchart grammar
defines for node shapes and links, and rejects anything else.
"""

from __future__ import annotations

import re

_ID = r"[A-Za-z_][A-Za-z0-9_]*"
_TEXT = r'"[^"\n]*"'
# shapes: [text] rect, (text) round, {text} rhombus, ([text]) stadium, [(text)] cylinder
_SHAPE = rf"(?:\[{_TEXT}\]|\({_TEXT}\)|\{{{_TEXT}\}}|\(\[{_TEXT}\]\)|\[\({_TEXT}\)\])"
_NODE = rf"{_ID}(?:{_SHAPE})?"
_LINK = r"(?:-->|-\.->|==>|---)"
STATEMENT = re.compile(rf"^{_NODE}(?:\s+{_LINK}\s+{_NODE})*$")
HEADER = re.compile(r"^flowchart (?:LR|RL|TB|TD|BT)$")


def check_flowchart(text: str) -> list[str]:
    """Problems found (empty when the chart parses); every link must end at a declared node."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines or not HEADER.match(lines[0]):
        return ["first line must be 'flowchart LR' (or TB/TD/RL/BT)"]
    problems = []
    declared: set[str] = set()
    used: set[str] = set()
    for number, line in enumerate(lines[1:], 2):
        if not STATEMENT.match(line):
            problems.append(f"line {number}: not a flowchart statement: {line}")
            continue
        for node in re.finditer(rf"({_ID})({_SHAPE})?", line):
            if node.group(1) in {"flowchart"}:
                continue
            (declared if node.group(2) else used).add(node.group(1))
    problems += [f"node {name} is linked but never declared" for name in sorted(used - declared)]
    return problems
