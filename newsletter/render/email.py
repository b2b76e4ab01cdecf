"""The HTML email: one render per segment, CSS inlined once, placeholders left for sending."""

from __future__ import annotations

import logging

import jinja2
import premailer

from newsletter.config import Settings
from newsletter.config.settings import GMAIL_CLIP_BYTES
from newsletter.model import Issue
from newsletter.render.environment import issue_context, render_template

TEMPLATE = "email.html.j2"


def render_email(
    issue: Issue,
    settings: Settings,
    env: jinja2.Environment,
    *,
    segment: str | None,
    hook_slot: bool = False,
) -> str:
    """The issue as ``segment`` receives it (None: everything), as email-ready HTML.

    Styles are inlined (:func:`inline_css`). Recipient fields are placeholders
    (``%%FIRST_NAME%%`` …) for the send step to fill.
    """
    context = issue_context(issue, settings, segment=segment, personal=True)
    context["hook_slot"] = hook_slot  # a slot for hook lines (newsletter.blocks)
    return inline_css(render_template(env, TEMPLATE, context))


def inline_css(html: str) -> str:
    """``html`` with its styles inlined for email clients, ending in a newline.

    Media queries and dark-mode rules stay in a ``<style data-premailer="ignore">`` block,
    which premailer leaves as written."""
    inlined: str = premailer.transform(
        html,
        remove_classes=False,  # the media queries and dark-mode rules select by class
        disable_validation=True,
        strip_important=False,
        # premailer copies CSS widths into attributes: height="auto" is invalid HTML, and
        # width="100%" would replace the pixel width Outlook needs; templates set those.
        disable_basic_attributes=["width", "height"],
        cssutils_logging_level=logging.CRITICAL,
        allow_network=False,  # a build fetches feeds and nothing else; styles are local
    )
    return inlined if inlined.endswith("\n") else inlined + "\n"


def email_size(html: str) -> int:
    """The size Gmail measures: bytes of the UTF-8 encoded message body."""
    return len(html.encode("utf-8"))


def email_size_warning(html: str, limit: int = GMAIL_CLIP_BYTES) -> str | None:
    """A one-line warning when ``html`` is over ``limit`` bytes, else None.

    The caller decides whether that is a warning or (under ``--strict``) an error.
    """
    return clip_warning(email_size(html), limit)


def clip_warning(size: int, limit: int = GMAIL_CLIP_BYTES) -> str | None:
    """A one-line warning when an email of ``size`` bytes is over ``limit``, else None."""
    if size <= limit:
        return None
    return (
        f"email is {size / 1000:.1f} KB, over the {limit / 1000:.0f} KB at which Gmail "
        "clips messages (the footer and unsubscribe link would be hidden)"
    )
