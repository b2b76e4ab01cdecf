"""The Jinja environment every renderer shares: loading, errors, filters and context.

Templates are edited by the business, so every failure becomes a :class:`TemplateError`
naming the template file (and line, when Jinja knows it) instead of a Jinja traceback.
Filters format dates and times from fixed English names rather than ``strftime``, whose
``%A``/``%B``/``%p`` follow the machine's locale and would make builds differ between hosts.
"""

from __future__ import annotations

import re
import textwrap
import traceback
from collections.abc import Mapping, MutableMapping
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from newsletter.config.settings import Settings
from newsletter.errors import TemplateError
from newsletter.folders import check_folder
from newsletter.images import published_url
from newsletter.model import Event, Issue
from newsletter.months import MONTH_NAMES
from newsletter.placeholders import PLACEHOLDERS
from newsletter.render.palette import palette as palette  # the one colour function, for all

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TEXT_SUFFIXES = (".txt.j2", ".txt")


def make_environment(templates_dir: Path) -> jinja2.Environment:
    """A Jinja environment over ``templates_dir``: strict, autoescaping all but ``.txt``.

    Loading a missing template or one with a syntax error raises :class:`TemplateError`.
    """
    env = _Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.templates_dir = Path(templates_dir)
    env.filters.update(
        long_date=long_date,
        short_date=short_date,
        clock=clock,
        month_name=month_name,
        month_abbr=lambda value: month_name(value)[:3],
        weekday=lambda value: WEEKDAY_NAMES[_day(value).weekday()],
        weekday_abbr=lambda value: WEEKDAY_NAMES[_day(value).weekday()][:3],
        event_when=event_when,
        rfc3339=rfc3339,
        underline=underline,
        wrap=wrap,
        paragraphs=paragraphs,
        css_string=css_string,
        scrolling_tables=scrolling_tables,
    )
    env.globals["placeholders"] = dict(PLACEHOLDERS)
    return env


def render_template(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
    """Render template ``name`` with ``context``; any failure is a TemplateError with a place."""
    template = env.get_template(name)
    try:
        return template.render(context)
    except jinja2.TemplateSyntaxError as exc:  # raised by Jinja's own include machinery
        raise _syntax_error(exc) from exc
    except jinja2.TemplateError as exc:
        path, line = _template_frame(exc, env, template)
        raise TemplateError(exc.message or type(exc).__name__, path=path, line=line) from exc
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
        # An expression in the template failed ({{ total / count }} with count 0, …).
        path, line = _template_frame(exc, env, template)
        what = f"no item {exc}" if isinstance(exc, KeyError) else str(exc)
        raise TemplateError(f"an expression failed: {what}", path=path, line=line) from exc


class _Environment(jinja2.Environment):
    """Turns Jinja's load errors into TemplateError, for direct loads and includes alike."""

    templates_dir: Path

    def get_template(
        self,
        name: str | jinja2.Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        try:
            return super().get_template(name, parent, globals)
        except jinja2.TemplateNotFound as exc:
            # Jinja takes a file in a folder it may not read for one that is not there.
            check_folder(self.templates_dir, TemplateError)
            where = f" (included from {parent})" if parent else ""
            missing = exc.name if isinstance(exc.name, str) else str(name)
            raise TemplateError(
                f"template not found{where}", path=self.templates_dir / missing
            ) from exc
        except OSError as exc:
            unread = exc.filename or self.templates_dir / str(name)
            raise TemplateError(f"cannot read: {exc.strerror or exc}", path=unread) from None
        except jinja2.TemplateSyntaxError as exc:
            raise _syntax_error(exc) from exc


def _autoescape(name: str | None) -> bool:
    # HTML and XML templates escape every value; plain-text ones must not, or "&" in a
    # business name would reach the text email as "&amp;".
    return name is None or not name.endswith(TEXT_SUFFIXES)


def _syntax_error(exc: jinja2.TemplateSyntaxError) -> TemplateError:
    return TemplateError(
        f"template syntax error: {exc.message}", path=exc.filename or exc.name, line=exc.lineno
    )


def _template_frame(
    exc: BaseException, env: jinja2.Environment, template: jinja2.Template
) -> tuple[str | None, int | None]:
    """The innermost template file and line in the traceback Jinja rewrote for ``exc``."""
    root = str(getattr(env, "templates_dir", ""))
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if root and f.filename.startswith(root) and not f.filename.endswith(".py")
    ]
    if frames:
        return frames[-1].filename, frames[-1].lineno
    return template.filename, None


# ---- filters ------------------------------------------------------------------------


@jinja2.pass_context
def long_date(context: jinja2.runtime.Context, value: date, year: bool = False) -> str:
    """``Saturday, November 28`` (``, 2026`` with ``year=True``), in the business's timezone."""
    day = _day(_local(context, value))
    text = f"{WEEKDAY_NAMES[day.weekday()]}, {MONTH_NAMES[day.month - 1]} {day.day}"
    return f"{text}, {day.year}" if year else text


@jinja2.pass_context
def short_date(context: jinja2.runtime.Context, value: date) -> str:
    """``Nov 28``, in the business's timezone."""
    day = _day(_local(context, value))
    return f"{MONTH_NAMES[day.month - 1][:3]} {day.day}"


@jinja2.pass_context
def clock(context: jinja2.runtime.Context, value: datetime | time) -> str:
    """``7:00 pm``; noon is ``12:00 pm`` and midnight ``12:00 am``."""
    moment = _local(context, value) if isinstance(value, datetime) else value
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'am' if moment.hour < 12 else 'pm'}"


def month_name(value: date | int) -> str:
    """``November`` for a date or a month number."""
    number = value if isinstance(value, int) else value.month
    return MONTH_NAMES[number - 1]


@jinja2.pass_context
def event_when(context: jinja2.runtime.Context, event: Event) -> str:
    """When an event happens, as people say it.

    ``Saturday, November 28, 7:00 pm – 9:00 pm``; ``Friday, November 27 – Sunday,
    November 29`` for a multi-day event; just the day for a single all-day event.
    """
    first = long_date(context, event.start)
    if event.all_day or not isinstance(event.start, datetime):
        if event.end is None or _day(event.end) == event.start_date:
            return first
        return f"{first} – {long_date(context, event.end)}"
    starts = f"{first}, {clock(context, event.start)}"
    if not isinstance(event.end, datetime) or event.end <= event.start:
        return starts
    if _day(_local(context, event.end)) == _day(_local(context, event.start)):
        return f"{starts} – {clock(context, event.end)}"
    return f"{starts} – {long_date(context, event.end)}, {clock(context, event.end)}"


@jinja2.pass_context
def rfc3339(context: jinja2.runtime.Context, value: date | datetime) -> str:
    """An RFC 3339 timestamp (Atom); a date stands for midnight in the business's timezone."""
    tz = _timezone(context)
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min, tzinfo=tz)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.isoformat(timespec="seconds")


def underline(text: str, char: str = "=") -> str:
    """``text`` followed by a line of ``char`` as long as its longest line (plain text)."""
    width = max((len(line) for line in text.splitlines()), default=0)
    return f"{text}\n{char * width}"


def wrap(text: str, width: int = 72, indent: str = "") -> str:
    """Fill each paragraph of ``text`` to ``width`` columns, every line led by ``indent``.

    Paragraphs are separated by blank lines; URLs and other long words are never split.
    """
    blocks = [" ".join(block.split()) for block in str(text).split("\n\n")]
    return "\n\n".join(
        textwrap.fill(
            block,
            width=width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        for block in blocks
        if block
    )


def paragraphs(text: str) -> list[str]:
    """The blank-line separated paragraphs of plain ``text``, whitespace collapsed."""
    return [" ".join(p.split()) for p in str(text).split("\n\n") if p.strip()]


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string (print templates' page footers): backslashes and
    quotes escaped, ``<`` written as an escape so nothing can close the style element."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ")
    escaped = escaped.replace("\r", " ").replace("\n", " ")  # a CSS string cannot span lines
    return Markup(f'"{escaped}"')


_TABLE = re.compile(r"<table\b.*?</table>", re.DOTALL | re.IGNORECASE)


def scrolling_tables(html: str, label: str) -> Markup:
    """Trusted (sanitized) ``html`` with each table in a region that scrolls sideways on its
    own, so that a wide table never makes a phone's page wider than its screen.

    A region takes keyboard focus, to be scrolled without a pointer, and is named ``label``
    (a second one ``label (2)``, …: landmarks' names are unique on a page)."""
    count = 0

    def region(table: re.Match[str]) -> str:
        nonlocal count
        count += 1
        name = escape(label if count == 1 else f"{label} ({count})")
        return (
            f'<div class="table-scroll" role="region" aria-label="{name}" tabindex="0">'
            f"{table.group(0)}</div>"
        )

    return Markup(_TABLE.sub(region, str(html)))


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _timezone(context: jinja2.runtime.Context) -> tzinfo:
    tz = context.get("timezone")
    return tz if isinstance(tz, tzinfo) else UTC


def _local(context: jinja2.runtime.Context, value: Any) -> Any:
    # Feed dates arrive in UTC; readers expect the business's clock. Events already are.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(_timezone(context))
    if isinstance(value, date | time):
        return value
    raise jinja2.TemplateRuntimeError(f"expected a date or time, got {value!r}")


# ---- context ------------------------------------------------------------------------


def site_context(settings: Settings, *, web_url: str) -> dict[str, Any]:
    """What every template may use: the business, its brand and where the site lives.

    ``web_url`` is where the page of the issue being built is published: a logo in
    ``content/images/`` is referenced there (the build publishes it beside that page)."""
    config = settings.config
    logo = config.brand.logo
    base_url = (
        config.web.base_url if config.web.base_url.endswith("/") else config.web.base_url + "/"
    )
    return {
        "business": config.business,
        "sender": config.sender,
        "address": settings.address,
        "address_line": settings.address.one_line(),
        "brand": config.brand,
        "logo": logo and logo.model_copy(update={"src": published_url(logo.src, web_url)}),
        "colors": palette(config.brand),
        "lang": config.locale.split("_")[0] or "en",
        "timezone": settings.tz,
        "base_url": base_url,
        "feed_url": base_url + "feed.xml",
        "first_name_fallback": config.issue.first_name_fallback,
    }


def issue_context(
    issue: Issue, settings: Settings, *, segment: str | None, personal: bool
) -> dict[str, Any]:
    """The context of one issue as ``segment`` sees it (None: everything).

    ``personal`` is True for email, where per-recipient fields are placeholders for the
    send step; the web page has no recipient, so it greets everyone and links the offer's
    public landing page.
    """
    fallback = settings.config.issue.first_name_fallback
    return {
        **site_context(settings, web_url=issue.web_url),
        "issue": issue,
        "segment": segment,
        "sections": issue.for_segment(segment),
        "personal": personal,
        "first_name": PLACEHOLDERS["first_name"] if personal else fallback,
        "unsubscribe_url": PLACEHOLDERS["unsubscribe_url"],
        "month_label": f"{month_name(issue.issue_date)} {issue.issue_date.year}",
    }
