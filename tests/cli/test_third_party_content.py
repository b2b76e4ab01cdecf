"""What a third party's feed or calendar holds reaches the issue bounded and safe, as
`newsletter build` and `newsletter check` show it: one link policy, bounded calendars, no
repeated stories, no trackers, no empty "Read more"; a helper's editorial, cleaned like a
feed; and check refusing what the build cannot reproduce."""

from __future__ import annotations

import re
from pathlib import Path

from tests.project_factory import (
    MONTH,
    build,
    built,
    ics,
    make_project,
    newsletter,
    read_config,
    rss,
    write_config,
)

NOV = "Mon, 02 Nov 2026 10:00:00 GMT"
PAGES = ("email.html", "web/index.html", "segments/client/email.html")


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def test_a_javascript_link_from_a_calendar_reaches_no_page(tmp_path: Path) -> None:
    hostile = ics(
        "UID:1\nSUMMARY:Street fair\nDTSTART:20261110T170000Z\nURL:javascript:alert(1)",
        "UID:2\nSUMMARY:Bake sale\nDTSTART:20261111T170000Z\n"
        "URL:https://user:secret@bank.example@evil.example/",
    )
    project = make_project(tmp_path / "p", {"Town": ("ics", "events", hostile)})
    assert build(project).returncode == 0
    for page in PAGES:
        html = built(project, page)
        assert "Street fair" in html and "Bake sale" in html
        assert not [h for h in hrefs(html) if "javascript" in h.lower() or "@" in h]
    assert "javascript:" not in built(project, "email.txt")


def test_a_javascript_link_from_an_event_feed_reaches_no_page(tmp_path: Path) -> None:
    feed = rss("Events", ("Open house", "javascript:alert(1)", NOV))
    project = make_project(tmp_path / "p", {"Events": ("rss", "events", feed)})
    assert build(project).returncode == 0
    html = built(project, "web/index.html")
    assert "Open house" in html and "javascript" not in html


def test_a_minutely_rule_without_count_is_cut_with_a_warning_naming_feed_and_event(
    tmp_path: Path,
) -> None:
    bomb = ics(
        "UID:bomb\nSUMMARY:Every minute forever\nDTSTART:20260101T000000Z\nRRULE:FREQ=MINUTELY",
        "UID:ok\nSUMMARY:Monthly meeting\nDTSTART:20260908T180000Z\nRRULE:FREQ=MONTHLY;BYDAY=2TU",
    )
    project = make_project(tmp_path / "p", {"Town": ("ics", "events", bomb)})
    done = build(project)
    assert done.returncode == 0, done.stderr
    warned = [line for line in done.stderr.splitlines() if "Every minute forever" in line]
    assert len(warned) == 1 and "Town" in warned[0]
    text = built(project, "email.txt")
    assert "Monthly meeting" in text
    assert text.count("Every minute forever") <= 5  # the feed's max_items, at most


def test_a_calendar_lists_at_most_its_max_items(tmp_path: Path) -> None:
    daily = ics("UID:d\nSUMMARY:Daily yoga\nDTSTART:20261001T150000Z\nRRULE:FREQ=DAILY")
    project = make_project(tmp_path / "p", {"Town": ("ics", "events", daily)})
    config = read_config(project)
    config["feeds"][0]["max_items"] = 3
    write_config(project, config)
    assert build(project).returncode == 0
    text = built(project, "email.txt")
    assert text.count("Daily yoga") == 3
    assert "November 1," in text and "November 4," not in text  # the first three


def test_a_story_two_sections_carry_is_told_once_where_it_comes_first(tmp_path: Path) -> None:
    local = rss("Local", ("Bridge reopens", "https://news.example.org/bridge?utm_source=rss", NOV))
    wire = rss("Wire", ("Bridge reopens today", "https://news.example.org/bridge/", NOV))
    project = make_project(
        tmp_path / "p",
        {"Wire": ("rss", "more-news", wire), "Local": ("rss", "local-news", local)},
    )
    assert build(project).returncode == 0
    text = built(project, "email.txt")
    assert "Bridge reopens today" not in text  # the wire's copy, in the later section
    local_news = text.index("LOCAL NEWS")
    assert local_news < text.index("Bridge reopens") < text.index("OFFER")
    assert "MORE NEWS" not in text  # left with nothing, so left out


def test_tracking_parameters_leave_feed_links_and_the_others_stay(tmp_path: Path) -> None:
    link = "https://news.example.org/story?id=7&utm_source=rss&fbclid=abc&mc_eid=x&gclid=y"
    project = make_project(
        tmp_path / "p", {"Local": ("rss", "local-news", rss("L", ("Story", link, NOV)))}
    )
    assert build(project).returncode == 0
    for page in (*PAGES, "email.txt"):
        content = built(project, page)
        assert "https://news.example.org/story?id=7" in content
        for tracker in ("fbclid", "mc_eid", "gclid", "utm_source=rss"):
            assert tracker not in content


def test_an_item_whose_only_link_is_refused_has_no_read_more_line(tmp_path: Path) -> None:
    feed = rss("L", ("A story without a link", "javascript:alert(1)", NOV))
    project = make_project(tmp_path / "p", {"Local": ("rss", "local-news", feed)})
    assert build(project).returncode == 0
    text = built(project, "email.txt")
    assert "A story without a link" in text
    assert not re.search(r"Read more:\s*$", text, re.MULTILINE)
    for page in PAGES:
        html = built(project, page)
        assert 'href=""' not in html and "Read more" not in html


def test_a_helpers_editorial_reaches_the_pages_cleaned_and_named_in_warnings(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path / "p")
    editorial = project / "content" / "editorials" / MONTH / "welcome.md"
    editorial.write_text(
        "---\ntitle: Tips\n---\nStay warm.\n\n<script>alert(1)</script>\n\n"
        "[win](javascript:alert(1)) <img src=x onerror=alert(1)> nul\x00byte\n",
        encoding="utf-8",
    )
    done = build(project)
    assert done.returncode == 0, done.stderr
    shown = "content/editorials/2026-11/welcome.md"
    assert f"warning: {shown}:6: removed <script> and its content" in done.stderr
    assert f"warning: {shown}:8: removed the link 'javascript:alert(1)' on <a>" in done.stderr
    for page in (*PAGES, "email.txt"):
        content = built(project, page)
        assert "Stay warm." in content
        for gone in ("<script", "javascript:", "onerror", "\x00"):
            assert gone not in content
    strict = build(project, "--strict")
    assert strict.returncode == 2 and strict.stderr.count("\n") == 1


def test_two_feeds_with_the_same_name_are_refused_by_check_and_build(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "p",
        {
            "City News": ("rss", "local-news", rss("A", ("From A", "https://a.example/", NOV))),
            "city-news": ("rss", "more-news", rss("B", ("From B", "https://b.example/", NOV))),
        },
    )
    for done in (newsletter(project, "check", "--month", MONTH), build(project)):
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1
        assert "feeds[1].name: 'city-news' is the name of an earlier feed ('City News')" in (
            done.stderr
        )


def test_check_strict_refuses_a_section_that_no_feed_fills(tmp_path: Path) -> None:
    empty = rss("A", ("Old news", "https://a.example/old", "Mon, 02 Nov 2020 10:00:00 GMT"))
    project = make_project(tmp_path / "p", {"Old": ("rss", "local-news", empty)})
    check = newsletter(project, "check", "--month", MONTH, "--strict")
    assert check.returncode == 2
    assert "section 'local-news' has nothing for 2026-11" in check.stderr
    assert build(project, "--strict").returncode == 2  # what check foretold
    assert newsletter(project, "check", "--month", MONTH).returncode == 0  # a warning only


def test_check_names_a_snapshot_that_does_not_exist(tmp_path: Path) -> None:
    feed = rss("A", ("Story", "https://a.example/s", NOV))
    project = make_project(tmp_path / "p", {"Local": ("rss", "local-news", feed)})
    config = read_config(project)
    config["feeds"][0]["snapshot"] = "content/feeds/gone.xml"
    write_config(project, config)
    check = newsletter(project, "check", "--month", MONTH)
    assert check.returncode == 0
    assert "feed 'Local': snapshot content/feeds/gone.xml does not exist" in check.stderr
    strict = newsletter(project, "check", "--month", MONTH, "--strict")
    assert strict.returncode == 2
    assert "snapshot content/feeds/gone.xml does not exist" in strict.stderr


def test_check_strict_refuses_a_feed_with_no_copy_at_all(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    config = read_config(project)
    config["feeds"] = [
        {"name": "Nowhere", "url": "https://feeds.example.org/x", "section": "local-news"}
    ]
    write_config(project, config)
    strict = newsletter(project, "check", "--month", MONTH, "--strict")
    assert strict.returncode == 2
    assert "feed 'Nowhere'" in strict.stderr and "no cached copy or snapshot" in strict.stderr
    assert build(project, "--strict").returncode == 2
