"""The plain-text email: the same content as the HTML, readable in any mail client."""

from __future__ import annotations

import re
import textwrap

import jinja2

from newsletter.config import Settings
from newsletter.model import Issue
from newsletter.render.environment import issue_context, render_template

TEMPLATE = "email.txt.j2"
WIDTH = 72
_MARKER = re.compile(r"^(\s*)([-*]|\d+\.)\s+")


def render_text(
    issue: Issue,
    settings: Settings,
    env: jinja2.Environment,
    *,
    segment: str | None,
    hook_slot: bool = False,
) -> str:
    """The issue as ``segment`` receives it (None: everything), as plain text.

    Lines are wrapped at 72 columns (a URL longer than that keeps a line to itself), no
    line has trailing spaces, blank lines never come in twos, and the text ends with one
    newline. Recipient fields are placeholders for the send step, as in the HTML.
    """
    context = issue_context(issue, settings, segment=segment, personal=True)
    context["hook_slot"] = hook_slot  # a slot for hook lines (newsletter.blocks)
    return tidy(render_template(env, TEMPLATE, context), WIDTH)


def tidy(text: str, width: int = WIDTH) -> str:
    """Fold long lines, strip trailing spaces, squeeze blank lines, end with one newline.

    Templates wrap what they write, but fields such as an editorial's ``body_text`` are
    wrapped upstream; this pass guarantees the width whatever a template does.
    """
    lines = [folded for line in text.splitlines() for folded in fold(line.rstrip(), width)]
    squeezed = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return squeezed.strip("\n") + "\n"


def fold(line: str, width: int = WIDTH) -> list[str]:
    """``line`` wrapped to ``width``, list items with a hanging indent; words never split."""
    if len(line) <= width:
        return [line]
    match = _MARKER.match(line)
    lead = match.group(0) if match else line[: len(line) - len(line.lstrip())]
    return textwrap.wrap(
        line,
        width=width,
        subsequent_indent=" " * len(lead),
        break_long_words=False,  # a URL broken in two is a dead link
        break_on_hyphens=False,
    ) or [line]
