"""GitHub Actions expressions, as far as the workflows use them: ``${{ … }}`` in values and
``if:`` conditions.

Literals ('text', numbers, true, false, null), context paths (``needs.plan.outputs.dry-run``),
``!``, ``==``, ``!=``, ``&&``, ``||``, parentheses and the status functions. As on GitHub,
``a || b`` is ``a`` when it is truthy, strings compare without regard to case, and a missing
property is null. Anything else is a SyntaxError, so a workflow using more than this fails
its test instead of being read wrongly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Value = str | bool | float | None
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<op>&&|\|\||==|!=|!|\(|\))"
    r"|(?P<number>\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*))"
)
_INTERPOLATION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
STATUS_FUNCTIONS = ("always", "success", "failure", "cancelled")


class Evaluator:
    """Expressions over ``contexts`` (github, env, needs, steps, …); ``failed`` tells the
    status functions whether a step of the job has failed so far."""

    def __init__(self, contexts: Mapping[str, Any], failed: Callable[[], bool]) -> None:
        self.contexts = contexts
        self.failed = failed

    def interpolate(self, text: str) -> str:
        """``text`` with each ``${{ expression }}`` replaced by its value."""
        return _INTERPOLATION.sub(lambda m: as_text(self.evaluate(m.group(1))), text)

    def condition(self, text: str | bool | None) -> bool:
        """An ``if:``: true when absent; an implicit ``success() &&`` unless it calls a
        status function itself."""
        if text is None:
            return not self.failed()
        if isinstance(text, bool):
            return text and not self.failed()
        expression = text.strip()
        match = _INTERPOLATION.fullmatch(expression)
        expression = match.group(1) if match else expression
        value = truthy(self.evaluate(expression))
        if not any(f"{name}()" in expression for name in STATUS_FUNCTIONS):
            value = value and not self.failed()
        return value

    def evaluate(self, expression: str) -> Value:
        tokens = _tokens(expression)
        value, rest = self._or(tokens)
        if rest:
            raise SyntaxError(f"unexpected {rest[0][1]!r} in {expression!r}")
        return value

    def _or(self, tokens: list[tuple[str, str]]) -> tuple[Value, list[tuple[str, str]]]:
        value, tokens = self._and(tokens)
        while tokens and tokens[0] == ("op", "||"):
            right, tokens = self._and(tokens[1:])
            value = value if truthy(value) else right
        return value, tokens

    def _and(self, tokens: list[tuple[str, str]]) -> tuple[Value, list[tuple[str, str]]]:
        value, tokens = self._comparison(tokens)
        while tokens and tokens[0] == ("op", "&&"):
            right, tokens = self._comparison(tokens[1:])
            value = right if truthy(value) else value
        return value, tokens

    def _comparison(self, tokens: list[tuple[str, str]]) -> tuple[Value, list[tuple[str, str]]]:
        value, tokens = self._unary(tokens)
        if tokens and tokens[0] in (("op", "=="), ("op", "!=")):
            operator = tokens[0][1]
            right, tokens = self._unary(tokens[1:])
            equal = as_text(value).lower() == as_text(right).lower()
            value = equal if operator == "==" else not equal
        return value, tokens

    def _unary(self, tokens: list[tuple[str, str]]) -> tuple[Value, list[tuple[str, str]]]:
        if not tokens:
            raise SyntaxError("expression ends too soon")
        kind, text = tokens[0]
        if (kind, text) == ("op", "!"):
            value, rest = self._unary(tokens[1:])
            return not truthy(value), rest
        if (kind, text) == ("op", "("):
            value, rest = self._or(tokens[1:])
            if not rest or rest[0] != ("op", ")"):
                raise SyntaxError("a ( is not closed")
            return value, rest[1:]
        if kind == "string":
            return text[1:-1].replace("''", "'"), tokens[1:]
        if kind == "number":
            return float(text), tokens[1:]
        if kind == "name":
            if tokens[1:2] == [("op", "(")] and tokens[2:3] == [("op", ")")]:
                return self._call(text), tokens[3:]
            literals: dict[str, Value] = {"true": True, "false": False, "null": None}
            return (literals[text] if text in literals else self._lookup(text)), tokens[1:]
        raise SyntaxError(f"unexpected {text!r}")

    def _call(self, name: str) -> bool:
        if name == "always":
            return True
        if name == "success":
            return not self.failed()
        if name == "failure":
            return self.failed()
        if name == "cancelled":
            return False
        raise SyntaxError(f"function {name}() is not known here")

    def _lookup(self, path: str) -> Value:
        value: Any = self.contexts
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if isinstance(value, Mapping):
            raise SyntaxError(f"{path} is an object, not a value")
        return value  # type: ignore[no-any-return]


def _tokens(expression: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    expression = expression.rstrip()
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if not match or match.end() == position:
            raise SyntaxError(f"cannot read {expression[position:]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def truthy(value: Value) -> bool:
    return value not in (None, "", False, 0.0)


def as_text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return value
