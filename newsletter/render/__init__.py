"""Renderers: pure functions of an Issue (and Settings) to email HTML, plain text and web.

Each takes the shared Jinja environment from :func:`make_environment`; none reads the
clock or the network, so the same Issue always renders to the same bytes.
"""

from newsletter.render.email import email_size_warning, render_email
from newsletter.render.environment import make_environment
from newsletter.render.text import render_text
from newsletter.render.web import ArchiveEntry, render_archive, render_atom, render_web_issue

__all__ = [
    "ArchiveEntry",
    "email_size_warning",
    "make_environment",
    "render_archive",
    "render_atom",
    "render_email",
    "render_text",
    "render_web_issue",
]
