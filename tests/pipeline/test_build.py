"""build(): the whole monthly pipeline, from the sample content to build/YYYY-MM/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from newsletter.config import load_config
from newsletter.errors import BuildError, ContentError, StorageError
from newsletter.pipeline.build import build, verify_manifest
from tests.feed_server import FeedServer

MONTH = "2026-11"


def build_project(project: Path, month: str = MONTH, **options: object):
    settings = load_config(project / "newsletter.yaml")
    return build(settings, month, out_root=project / "build", offline=True, **options)


def test_sample_issue_builds_every_output(sample_project: Path) -> None:
    out = build_project(sample_project).out_dir
    for name in (
        "email.html",
        "email.txt",
        "segments/client/email.html",
        "segments/partner/email.txt",
        "segments/prospect/email.html",
        "web/index.html",
        "web/archive.html",
        "web/feed.xml",
        "manifest.json",
    ):
        assert (out / name).is_file(), name


def test_sample_issue_carries_every_kind_of_section(sample_project: Path) -> None:
    issue = build_project(sample_project).issue
    kinds = {s.kind for s in issue.sections if s.entries}
    assert kinds == {"editorials", "news", "events", "holidays", "offer"}


def test_same_inputs_give_byte_identical_outputs(tmp_path: Path, sample_project: Path) -> None:
    first = build_project(sample_project).outputs
    (sample_project / "build").rename(tmp_path / "first-build")
    second = build_project(sample_project).outputs
    assert first == second


def test_manifest_hashes_every_output_and_input(sample_project: Path) -> None:
    out = build_project(sample_project).out_dir
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["outputs"]) == {
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
    } - {"manifest.json"}
    assert "newsletter.yaml" in manifest["inputs"]
    assert any(name.startswith("content/offers/") for name in manifest["inputs"])
    assert manifest["snapshot"], "the feed snapshot is saved in the build"
    assert verify_manifest(out) == []


def test_edited_output_no_longer_matches_manifest(sample_project: Path) -> None:
    out = build_project(sample_project).out_dir
    (out / "email.txt").write_text("edited after preview\n")
    assert verify_manifest(out) == ["email.txt"]


def test_offline_rebuild_reuses_the_saved_snapshot(sample_project: Path) -> None:
    first = build_project(sample_project)
    for bundled in (sample_project / "content" / "feeds").iterdir():
        bundled.write_text("gone")  # a rebuild must not need the bundled copies any more
    second = build_project(sample_project)
    assert second.outputs == first.outputs
    assert set(second.feeds.values()) == {"snapshot"}


def test_failed_build_leaves_the_previous_build_untouched(sample_project: Path) -> None:
    out = build_project(sample_project).out_dir
    before = (out / "email.html").read_bytes()
    offer = next((sample_project / "content" / "offers").glob("*.yaml"))
    for path in (sample_project / "content" / "offers").glob("*.yaml"):
        path.unlink()
    offer.write_text("title: [unclosed\n")
    with pytest.raises(ContentError):
        build_project(sample_project)
    assert (out / "email.html").read_bytes() == before
    assert not list((sample_project / "build").glob(".*staging*"))


def test_output_folder_that_cannot_be_written_is_an_error(sample_project: Path) -> None:
    blocker = sample_project / "blocked"
    blocker.write_text("a file where the output folder should be")
    settings = load_config(sample_project / "newsletter.yaml")
    with pytest.raises(StorageError) as caught:  # where the month's lock would go
        build(settings, MONTH, out_root=blocker / "build", offline=True)
    assert caught.value.message.endswith("in its folder: Not a directory")


def test_email_over_the_gmail_clip_size_warns(sample_project: Path) -> None:
    config = sample_project / "newsletter.yaml"
    config.write_text(
        config.read_text().replace(
            "summary_length: 240", "summary_length: 240\n  max_email_bytes: 2000"
        )
    )
    result = build_project(sample_project)
    assert any("Gmail clips" in w and "email.html" in w for w in result.warnings)


def test_email_over_the_gmail_clip_size_is_an_error_under_strict(sample_project: Path) -> None:
    config = sample_project / "newsletter.yaml"
    config.write_text(
        config.read_text().replace(
            "summary_length: 240", "summary_length: 240\n  max_email_bytes: 2000"
        )
    )
    with pytest.raises(BuildError, match="Gmail clips"):
        build_project(sample_project, strict=True)


def test_archive_lists_every_built_issue(sample_project: Path) -> None:
    build_project(sample_project, "2026-11")
    out = build_project(sample_project, "2026-12").out_dir
    archive = (out / "web" / "archive.html").read_text()
    feed = (out / "web" / "feed.xml").read_text()
    assert "2026-11" in archive and "2026-12" in archive
    assert feed.count("<entry>") == 2


def test_prospects_receive_no_referral_offer(sample_project: Path) -> None:
    out = build_project(sample_project).out_dir
    assert "%%REFERRAL_LINK%%" in (out / "segments/client/email.html").read_text()
    assert "%%REFERRAL_LINK%%" not in (out / "segments/prospect/email.html").read_text()


# ---- feeds from the network ------------------------------------------------------------------


def point_feeds_at(project: Path, server: FeedServer, **top: object) -> None:
    """Every feed of the sample from ``server`` (loopback) instead of the internet."""
    path = project / "newsletter.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for feed in data["feeds"]:
        feed["url"] = server.url("/calendar.ics" if feed.get("kind") == "ics" else "/rss2.xml")
    path.write_text(yaml.safe_dump(data | top, allow_unicode=True), encoding="utf-8")


def test_feed_on_an_allowed_private_host_is_fetched(sample_project: Path) -> None:
    with FeedServer() as server:
        point_feeds_at(sample_project, server, fetch={"allow_private_hosts": ["127.0.0.1"]})
        settings = load_config(sample_project / "newsletter.yaml")
        result = build(settings, MONTH, out_root=sample_project / "build")
    assert set(result.feeds.values()) == {"network"}


def test_feed_on_a_private_host_is_refused_and_the_snapshot_used(sample_project: Path) -> None:
    with FeedServer() as server:
        point_feeds_at(sample_project, server)
        settings = load_config(sample_project / "newsletter.yaml")
        result = build(settings, MONTH, out_root=sample_project / "build")
        assert server.requests == []
    assert set(result.feeds.values()) == {"snapshot"}
    refused = [w for w in result.warnings if "feed 'Madison365'" in w]
    assert "127.0.0.1 is a loopback address" in refused[0]
