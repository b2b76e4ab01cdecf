"""Characters that no one-line value holds: a name, a title, an address, a cell of a list.

A line break in a name or a title splits the email header it goes into (the header
injection that lets a value add a ``Bcc:``); other control characters are invisible, and
the bidirectional overrides reorder what a reader's screen shows after them (U+202E then
``gpj.exe`` reads ``exe.jpg``). None of them is ever part of a real value.
"""

from __future__ import annotations

import re
import unicodedata

UNFIT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls (tab, CR and LF among them), the Unicode line and paragraph
separators, and the bidirectional embeddings, overrides and isolates."""
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
"""What ``str.splitlines`` ends a line at."""


def unfit_character(value: str) -> str | None:
    """What makes ``value`` unfit for one line of an email (a phrase to follow the value's
    name: ``contains a line break, …``), or None when it is fit."""
    found = UNFIT.search(value)
    if found is None:
        return None
    character = found.group()
    if character in LINE_BREAKS:
        return "contains a line break, which cannot go into an email header"
    name = unicodedata.name(character, "")
    return f"contains the control character U+{ord(character):04X}" + (f" ({name})" if name else "")
