"""The quarter's nurture email: the card's tip, local item and soft ask, as an email.

Rendered once per run for each way the ask can end: readers with a referral code get the
button to their personal referral link (``%%REFERRAL_LINK%%``, filled per recipient by
the send, as in the monthly issue); readers the quarter's offer is not for get the
sign-up page, to pass on to a friend. Greeting and unsubscribe link are placeholders too,
so a whole quarter is one or two messages, sent in batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2

from newsletter.cards.content import CardContent
from newsletter.config import Settings
from newsletter.config.desk import signup_page
from newsletter.months import month_name
from newsletter.placeholders import PLACEHOLDERS
from newsletter.render.email import inline_css
from newsletter.render.environment import render_template, site_context

HTML_TEMPLATE = "nurture/email.html.j2"
TEXT_TEMPLATE = "nurture/email.txt.j2"
REFER_LABEL = "Share your referral link"
SIGNUP_LABEL = "Pass our newsletter on"


@dataclass(frozen=True)
class NurtureEmail:
    """One way the quarter's email reads, placeholders left for the send."""

    subject: str
    html: str
    text: str


def season_label(card: CardContent) -> str:
    """``October–December 2026``: the months the quarter's note speaks for."""
    quarter = card.quarter
    return f"{month_name(quarter.first_day)}–{month_name(quarter.last_day)} {quarter.year}"


def render_nurture_email(
    card: CardContent, settings: Settings, env: jinja2.Environment, *, with_code: bool
) -> NurtureEmail:
    """The quarter's email for readers with a referral code (``with_code``) or without."""
    ask_link = PLACEHOLDERS["referral_link"] if with_code else signup_page(settings.config)
    context = {
        **site_context(settings, web_url=settings.config.web.base_url),
        "card": card,
        "season": season_label(card),
        "first_name": PLACEHOLDERS["first_name"],
        "unsubscribe_url": PLACEHOLDERS["unsubscribe_url"],
        "ask_link": ask_link,
        "ask_label": REFER_LABEL if with_code else SIGNUP_LABEL,
    }
    return NurtureEmail(
        subject=card.title,
        html=inline_css(render_template(env, HTML_TEMPLATE, context)),
        text=render_template(env, TEXT_TEMPLATE, context),
    )
