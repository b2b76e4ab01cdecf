"""content/welcome.md, whatever the business writes: it loads, or it is one ContentError
naming the file; never another exception, never a placeholder left unfilled."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.engage.welcome_content import load_welcome_content
from newsletter.errors import ContentError
from tests.engage.support import WELCOME

NAMES = st.sampled_from(
    ["{first_name}", "{referral_code}", "{referral_link}", "{latest_issue_url}", "{nope}", "{"]
)
TEXT = st.lists(st.one_of(st.text(max_size=40), NAMES), max_size=8).map("".join)


@settings(max_examples=150, deadline=None)
@given(body=TEXT, greeting=TEXT)
def test_any_welcome_file_loads_or_is_one_content_error(
    tmp_path_factory: object, body: str, greeting: str
) -> None:
    content = Path(tmp_path_factory.mktemp("project")) / "content"  # type: ignore[attr-defined]
    content.mkdir()
    text = WELCOME.replace("Hello {first_name},", greeting.replace("\n", " ")) + body
    (content / "welcome.md").write_text(text, encoding="utf-8")
    try:
        loaded = load_welcome_content(content)
    except ContentError as error:
        assert error.one_line().startswith("content/welcome.md")
        return
    for part in (loaded.greeting, loaded.note_html, loaded.note_text, loaded.subject):
        assert "{first_name}" not in part and "{referral_code}" not in part
