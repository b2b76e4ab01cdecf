"""Markers for the parts of an email that differ between readers of one segment, and the
cut that makes a reader's variant from the email rendered once with every part in place.

A segment's email is rendered (and its CSS inlined) once with each ``::: only TAG``
block between markers and a slot for hook lines; each variant is then that text with the
blocks it does not get cut out and its hook lines put in the slot. Cutting is string work,
so a build makes hundreds of variants in the time one render takes.

HTML marks blocks with comments (``<!--only:pets-->…<!--/only:pets-->``), which CSS
inlining keeps; text marks them with lines (``[[only:pets]]`` … ``[[/only:pets]]``).
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Collection, Sequence

HOOKS_TOKEN = "@@HOOK_LINES@@"
TEXT_WIDTH = 72
_HTML_BLOCK = re.compile(r"<!--only:([a-z0-9_-]+)-->(.*?)<!--/only:\1-->", re.S)
_HTML_HOOKS = re.compile(r"<!--hooks-->(.*?)<!--/hooks-->", re.S)
_TEXT_BLOCK = re.compile(r"^\[\[only:([a-z0-9_-]+)\]\]\n(.*?)^\[\[/only:\1\]\]\n", re.S | re.M)
_TEXT_HOOKS = re.compile(r"^\[\[hooks\]\]\n(.*?)^\[\[/hooks\]\]\n", re.S | re.M)


def marked_html(tag: str | None, body: str) -> str:
    return body if tag is None else f"<!--only:{tag}-->{body}<!--/only:{tag}-->"


def marked_text(tag: str | None, body: str) -> str:
    return body if tag is None else f"[[only:{tag}]]\n{body}\n[[/only:{tag}]]"


def variant_html(marked: str, tags: Collection[str], hooks: Sequence[str]) -> str:
    """The email for a reader with ``tags`` and ``hooks`` from the marked render."""
    cut = _HTML_BLOCK.sub(lambda m: m.group(2) if m.group(1) in tags else "", marked)
    lines = "<br>".join(html.escape(line) for line in hooks)
    return _HTML_HOOKS.sub(lambda m: m.group(1).replace(HOOKS_TOKEN, lines) if hooks else "", cut)


def variant_text(marked: str, tags: Collection[str], hooks: Sequence[str]) -> str:
    """The plain text for a reader with ``tags`` and ``hooks`` from the marked render."""
    cut = _TEXT_BLOCK.sub(lambda m: m.group(2) if m.group(1) in tags else "", marked)
    lines = "\n".join(textwrap.fill(line, TEXT_WIDTH, break_long_words=False) for line in hooks)
    cut = _TEXT_HOOKS.sub(lambda m: m.group(1).replace(HOOKS_TOKEN, lines) if hooks else "", cut)
    return re.sub(r"\n{3,}", "\n\n", cut)
