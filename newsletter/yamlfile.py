"""YAML loading that remembers where each key was, so errors can name the line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from newsletter.errors import NewsletterError

KeyPath = tuple[str | int, ...]


def dotted(path: KeyPath) -> str:
    """('feeds', 2, 'url') -> 'feeds[2].url'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _key_lines(node: yaml.Node, prefix: KeyPath, lines: dict[KeyPath, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, key_node.value)
            lines[path] = key_node.start_mark.line + 1
            _key_lines(value_node, path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = (*prefix, index)
            lines[path] = item.start_mark.line + 1
            _key_lines(item, path, lines)


def parse_yaml(
    text: str, path: str | Path, error: type[NewsletterError], *, line_offset: int = 0
) -> tuple[Any, dict[KeyPath, int]]:
    """Parse ``text``; return the data and a map from key path to 1-based line number.

    A syntax error becomes ``error`` naming the file and line.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        problem = exc.problem or str(exc)
        raise error(f"malformed YAML: {problem}", path=path, line=line) from None
    except yaml.YAMLError as exc:
        raise error(f"malformed YAML: {exc}", path=path) from None
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _key_lines(node, (), lines)
    if line_offset:
        lines = {k: v + line_offset for k, v in lines.items()}
    return data, lines


def line_for(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """The line of ``path``, or of its nearest ancestor that is in the file."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


def read_text(path: Path, error: type[NewsletterError]) -> str:
    """Read a UTF-8 file, turning OS and decoding errors into ``error`` naming the file."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error("file not found", path=path) from None
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 text (byte {exc.start})", path=path) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", path=path) from None
