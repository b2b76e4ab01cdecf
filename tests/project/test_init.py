"""``newsletter init``: a complete project for a business, which checks and builds at once."""

from __future__ import annotations

import csv
import os
import stat
import subprocess
from datetime import date
from pathlib import Path

import pytest
import yaml

from newsletter.audience.subscribers import load_subscribers
from newsletter.config import load_config
from newsletter.errors import ConfigError, NewsletterError
from newsletter.project.init import init_project
from newsletter.project.kinds import StarterFeed, kinds
from tests.feed_server import FeedServer
from tests.project.support import (
    NEWSLETTER,
    bakery,
    init_bakery,
    init_options,
    newsletter,
    sample_words_in,
)
from tests.terminal import run_on_terminal

REPO = Path(__file__).resolve().parent.parent.parent
MONTH = f"{date.today():%Y-%m}"


def test_a_bakery_in_portland_made_by_options_checks_strictly_and_builds_offline(
    tmp_path: Path,
) -> None:
    made = newsletter("init", "shop", *init_options(), "--offline", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    shop = tmp_path / "shop"
    assert f"made {shop}/ for Rose City Bakery (bakery)" in made.stdout

    check = newsletter("check", "--strict", cwd=shop)
    assert check.returncode == 0, check.stderr
    assert "warning:" not in check.stderr
    issue = subprocess.run(
        ["make", "issue", f"NEWSLETTER={NEWSLETTER}"],
        cwd=shop,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert issue.returncode == 0, issue.stderr
    built = shop / "build" / MONTH
    for name in ("email.html", "email.txt", "web/index.html"):
        text = (built / name).read_text(encoding="utf-8")
        assert "Rose City Bakery" in text
        assert sample_words_in(text) == [], name


def test_the_project_has_every_part_a_business_runs_it_with(tmp_path: Path) -> None:
    init_bakery(tmp_path / "shop")
    shop = tmp_path / "shop"
    for part in (
        "newsletter.yaml",
        f"content/editorials/{MONTH}/welcome.md",
        "templates/email.html.j2",
        "templates/print/fonts/DejaVuSans.ttf",
        "templates/desk/join.html.j2",
        ".github/workflows/monthly.yml",
        ".github/workflows/ci.yml",
        "scripts/state_branch.py",
        "scripts/system-deps.sh",
        "Makefile",
        "requirements.txt",
        ".gitignore",
        "README.md",
    ):
        assert (shop / part).is_file(), part
    assert os.access(shop / "scripts" / "system-deps.sh", os.X_OK)
    assert list((shop / "templates").rglob("*.pyc")) == []


def test_the_lists_are_empty_but_for_their_headers_and_readable_by_their_owner_only(
    tmp_path: Path,
) -> None:
    init_bakery(tmp_path / "shop")
    lists = tmp_path / "shop" / "subscribers"
    for name in ("subscribers.csv", "suppressions.csv", "referrals.csv", "rewards.csv"):
        path = lists / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        rows = list(csv.reader(path.open(encoding="utf-8")))
        assert len(rows) == 1 and rows[0], name
    assert len(load_subscribers(lists / "subscribers.csv")) == 0


def test_the_first_offer_runs_from_this_quarter_to_a_year_from_this_month(
    tmp_path: Path,
) -> None:
    init_bakery(tmp_path / "shop")
    (offer,) = (tmp_path / "shop" / "content" / "offers").glob("*.yaml")
    data = yaml.safe_load(offer.read_text(encoding="utf-8"))
    today = date.today()
    assert data["valid_from"] == date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    assert (data["valid_to"] - today.replace(day=1)).days >= 364
    assert data["title"] == "Bring a friend, share a treat"


def test_the_config_carries_the_answers_and_the_countrys_holidays(tmp_path: Path) -> None:
    init_bakery(tmp_path / "shop")
    config = load_config(tmp_path / "shop" / "newsletter.yaml").config
    assert config.business.name == "Rose City Bakery"
    assert config.business.address.city == "Portland"
    assert (config.holidays.country, config.holidays.subdivision) == ("US", "OR")
    assert config.timezone == "America/Los_Angeles"
    assert config.sender.email == "news@rosecitybakery.example.com"
    assert config.web.base_url == "https://rosecitybakery.example.com/newsletter/"
    assert config.issue.first_name_fallback == "there"


def test_a_business_abroad_gets_its_countrys_holidays_and_a4(tmp_path: Path) -> None:
    init_bakery(
        tmp_path / "shop",
        city="Leeds",
        region="",
        postal_code="LS1 4DY",
        country="GB",
        timezone="Europe/London",
    )
    config = load_config(tmp_path / "shop" / "newsletter.yaml").config
    assert (config.holidays.country, config.holidays.subdivision) == ("GB", None)
    assert config.print.paper == "a4"


@pytest.mark.parametrize("kind", sorted(kinds()))
def test_every_kind_of_business_starts_with_a_project_that_checks_strictly(
    tmp_path: Path, kind: str
) -> None:
    report = init_bakery(tmp_path / kind, kind=kind, name="Birch & Finch")
    assert report.kind == kind
    check = newsletter("check", "--strict", cwd=tmp_path / kind)
    assert check.returncode == 0, check.stderr
    assert sample_words_in((tmp_path / kind / "newsletter.yaml").read_text("utf-8")) == []


def test_a_folder_that_is_not_empty_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "notes.txt").write_text("mine", encoding="utf-8")
    refused = newsletter("init", str(shop), *init_options(), "--offline", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"newsletter: {shop}: not an empty folder")
    assert [p.name for p in shop.iterdir()] == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["shop"]  # no staging folder left


def test_an_empty_folder_becomes_the_project(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    init_bakery(tmp_path / "shop")
    assert (tmp_path / "shop" / "newsletter.yaml").is_file()


def test_without_a_terminal_every_missing_answer_is_named_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    refused = newsletter("init", "shop", "--name", "Rose City Bakery", cwd=tmp_path)
    assert refused.returncode == 2
    lines = refused.stderr.splitlines()
    for option in ("--street", "--city", "--timezone", "--sender-email", "--kind"):
        assert f"newsletter: {option}: required" in lines
    assert list(tmp_path.iterdir()) == []


def test_wrong_answers_are_each_named_by_their_option(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        init_project(
            tmp_path / "shop",
            bakery(timezone="Pacific/Nowhere", sender_email="news", kind="bakeries"),
            today=date.today(),
            offline=True,
        )
    lines = raised.value.all_lines()
    assert (
        "--kind: unknown kind 'bakeries' (kinds: bakery, restaurant, home-services, "
        "real-estate, salon, shop, other)"
    ) in lines
    assert "--timezone: unknown time zone 'Pacific/Nowhere' (e.g. America/Los_Angeles)" in lines
    assert "--sender-email: not an email address: 'news'" in lines
    assert not (tmp_path / "shop").exists()


def test_on_a_terminal_it_asks_each_question_not_answered_by_an_option(tmp_path: Path) -> None:
    typed = "".join(
        f"{answer}\n"
        for answer in (
            "1234 SE Division St",  # street
            "Portland",
            "OR",
            "97202",
            "",  # country: US, the default
            "America/Los_Angeles",
            "(503) 555-0199",
            "https://rosecitybakery.example.com",
            "",  # sender name: the business's
            "",  # sender address: news@ the website's
            "bakery",
        )
    )
    status, output = run_on_terminal(
        [NEWSLETTER, "init", str(tmp_path / "shop"), "--name", "Rose City Bakery", "--offline"],
        dict(os.environ),
        typed=typed,
    )
    assert status == 0, output
    assert "Kind of business" in output and "Bakery or café" in output
    config = load_config(tmp_path / "shop" / "newsletter.yaml").config
    assert config.sender.name == "Rose City Bakery"
    assert config.sender.email == "news@rosecitybakery.example.com"
    assert config.business.address.postal_code == "97202"


def test_a_kinds_feed_is_fetched_once_and_kept_for_offline_builds(tmp_path: Path) -> None:
    today = date.today()
    stamp = today.strftime("%a, %d %b %Y 09:00:00 +0000")
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Bread news</title>'
        "<link>https://bread.example.org/</link><description>x</description>"
        f"<item><title>Rye is back</title><link>https://bread.example.org/rye</link>"
        f"<pubDate>{stamp}</pubDate></item></channel></rss>"
    ).encode()
    with FeedServer() as server:
        server.route("/bread.xml", body=body)
        feed = StarterFeed(
            name="Bread news",
            url=server.url("/bread.xml"),
            section="bread-news",
            section_title="Bread news",
        )
        report = init_project(
            tmp_path / "shop",
            bakery(),
            today=today,
            allow_private_hosts=["127.0.0.1"],
            starter_feeds=(feed,),
        )
    assert [f.name for f in report.feeds] == ["Bread news"]
    shop = tmp_path / "shop"
    config = load_config(shop / "newsletter.yaml").config
    (configured,) = config.feeds
    assert configured.snapshot == "content/feeds/bread-news.xml"
    assert (shop / configured.snapshot).read_bytes() == body
    built = newsletter("build", "--offline", "--strict", cwd=shop)
    assert built.returncode == 0, built.stderr
    assert "Rye is back" in (shop / "build" / f"{today:%Y-%m}" / "email.html").read_text("utf-8")


def test_a_feed_that_cannot_be_fetched_is_left_as_a_comment(tmp_path: Path) -> None:
    with FeedServer() as server:
        feed = StarterFeed(
            name="Gone", url=server.url("/not-found"), section="gone", section_title="Gone"
        )
        report = init_project(
            tmp_path / "shop",
            bakery(),
            today=date.today(),
            allow_private_hosts=["127.0.0.1"],
            starter_feeds=(feed,),
        )
    assert [u.feed.name for u in report.unfetched] == ["Gone"]
    text = (tmp_path / "shop" / "newsletter.yaml").read_text(encoding="utf-8")
    assert '  # - name: "Gone"' in text
    assert load_config(tmp_path / "shop" / "newsletter.yaml").config.feeds == ()


def test_two_inits_into_one_folder_at_once_make_one_whole_project(tmp_path: Path) -> None:
    command = [NEWSLETTER, "init", "shop", *init_options(), "--offline"]
    runs = [
        subprocess.Popen(
            command,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(run.wait(timeout=300), run.stderr.read() if run.stderr else "") for run in runs]
    assert sorted(status for status, _ in results) == [0, 2], results
    assert [p.name for p in tmp_path.iterdir()] == ["shop"]
    check = newsletter("check", "--strict", cwd=tmp_path / "shop")
    assert check.returncode == 0, check.stderr


def test_init_copies_the_packages_templates_unchanged(tmp_path: Path) -> None:
    init_bakery(tmp_path / "shop")
    for template in (REPO / "templates").rglob("*"):
        if template.is_file():
            copied = tmp_path / "shop" / "templates" / template.relative_to(REPO / "templates")
            assert copied.read_bytes() == template.read_bytes()


def test_no_template_of_the_package_carries_a_word_of_the_sample() -> None:
    for template in (REPO / "templates").rglob("*.j2"):
        assert sample_words_in(template.read_text(encoding="utf-8")) == [], template


def test_a_refusal_is_a_newsletter_error(tmp_path: Path) -> None:
    (tmp_path / "shop").write_text("a file", encoding="utf-8")
    with pytest.raises(NewsletterError, match="not an empty folder"):
        init_bakery(tmp_path / "shop")
