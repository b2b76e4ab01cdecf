"""The desk's pages: Jinja templates from ``templates/desk/``, escaped, without script.

Every page names the business and is made of the same base (``base.html.j2``) with the
desk's one stylesheet (``desk.css.j2``, filled with the brand's colours and served from
the desk itself, so the Content-Security-Policy needs no inline style). Errors are pages
too: a bad link is a 400 page saying what to do, never a stack trace.
"""

from __future__ import annotations

from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from newsletter.desk.settings import DeskSettings

CSS_PATH = "desk.css"


class Pages:
    def __init__(self, settings: DeskSettings) -> None:
        self.settings = settings
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(settings.templates_dir / "desk"),
            # Pages (and their stylesheet) are HTML-escaped; the emails' text is not, or a
            # reader would see "&amp;" (their HTML part is escaped once, in .mails).
            autoescape=lambda name: not (name or "").endswith(".txt.j2"),
            undefined=jinja2.StrictUndefined,
            # Read once: a template's file is not looked at again on every request (two
            # stat calls each); a change to one takes a restart of the desk.
            auto_reload=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(
            business=settings.business_name,
            business_phone=settings.business_phone,
            about=settings.about,
            css_url="/" + CSS_PATH,
        )
        self._css = self.env.get_template("desk.css.j2").render(colors=settings.colors)

    def render(self, template: str, /, **context: Any) -> str:
        return self.env.get_template(template).render(**context)

    def mail(self, template: str, /, **context: Any) -> tuple[str, str]:
        """(subject, text) of the email ``template``: its text, and the subject it sets
        (``{% set subject %}…{% endset %}``) on one line."""
        module = self.env.get_template(template).make_module(context)
        subject = " ".join(str(getattr(module, "subject", "")).split())
        return subject, str(module).lstrip("\n")

    def page(self, template: str, code: int = 200, /, **context: Any) -> HTMLResponse:
        """The page ``template`` filled with ``context``, answered with status ``code``."""
        return HTMLResponse(self.render(template, **context), status_code=code)

    def problem(self, status: int, title: str, message: str) -> HTMLResponse:
        """A plain page for a request the desk cannot take (bad link, too many posts …)."""
        return self.page("problem.html.j2", status, title=title, message=message)

    def stylesheet(self, request: Request) -> Response:
        return Response(
            self._css,
            media_type="text/css",
            headers={"cache-control": "public, max-age=3600"},
        )
