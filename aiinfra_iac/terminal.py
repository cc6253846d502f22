"""Text from blueprints and results folders, made safe to print on a terminal.

Blueprints and results are untrusted input (docs/security.md). Printed through Rich, a value like
``Bad^Name[/]`` is markup (a MarkupError traceback) and ``[link=https://…]`` a hyperlink; printed
anywhere, ``\\x1b[2J`` clears the screen and OSC sequences retitle the window or plant links.
:func:`plain` shows every control character (and the bidirectional overrides of "Trojan Source",
https://trojansource.codes/) as a visible ``\\xNN``/``\\uNNNN`` escape; :func:`markup` also escapes
Rich markup. Every value that came from a blueprint or a result file goes through one of them
before it reaches a console.
"""

from __future__ import annotations

import re

from rich.markup import escape

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text: object, *, newlines: bool = True) -> str:
    """``text`` with control characters shown as escapes (newline and tab kept unless ``newlines``
    is False, then a newline is shown as ``\\n`` too)."""
    shown = _CONTROL.sub(_visible, str(text))
    return shown if newlines else shown.replace("\n", "\\n")


def markup(text: object) -> str:
    """``text`` safe inside a Rich markup string: controls shown, ``[`` escaped, one line."""
    return escape(plain(text, newlines=False))
