"""``build()``: the whole monthly pipeline in one readable function.

config → fetch feeds (the only network step, saved as a snapshot) → sources → Issue →
render (once per segment) → checks → manifest → write the build folder atomically.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from newsletter.config import Settings
from newsletter.diagnostics import Diagnostics
from newsletter.errors import BuildError, ConfigError
from newsletter.folders import file_exists, folder_files
from newsletter.fsutil import replace_folder
from newsletter.images import local_path, published_images
from newsletter.model import Issue
from newsletter.months import parse_month
from newsletter.pipeline.manifest import LEFT_OUT, MANIFEST, read_manifest, sha256
from newsletter.pipeline.manifest import verify_manifest as verify_manifest  # the public API's
from newsletter.pipeline.monthlock import month_lock
from newsletter.pipeline.readers import left_out_note, sealed_reader_file
from newsletter.pipeline.variants import personalized, render_variants
from newsletter.referrals.counting import rule_of
from newsletter.referrals.fields import business_region
from newsletter.referrals.roll import thank_you_roll
from newsletter.render.email import clip_warning, render_email
from newsletter.render.environment import make_environment
from newsletter.render.palette import palette_adjustments
from newsletter.render.text import render_text
from newsletter.render.web import ArchiveEntry, render_archive, render_atom, render_web_issue
from newsletter.sources.assemble import assemble_issue
from newsletter.sources.editorials import editorial_files
from newsletter.sources.fetch import FetchedFeed, fetch_feeds
from newsletter.sources.offers import offer_files

SNAPSHOT_DIR = "snapshot"
PRINT_DIR = "print"
"""Where ``newsletter print`` writes the month's print edition, in the build's folder."""
PRINTED_FROM = ".printed-from"
"""In print/: the sha256 of the manifest of the build it was printed from."""
KEPT = (PRINT_DIR,)
"""What other commands add to a month's folder, which a new build of the month keeps."""


@dataclass(frozen=True)
class BuildResult:
    issue: Issue
    out_dir: Path
    outputs: Mapping[str, str]  # relative path -> sha256
    feeds: Mapping[str, str]  # feed slug -> where its content came from
    warnings: tuple[str, ...]
    left_out: str = ""  # what a build without the customer data lacks ("": nothing)


class Outputs:
    """The files of one build, collected before anything is written (refuses duplicates)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def add(self, relative: str, content: str | bytes) -> None:
        if relative in self.files:
            raise BuildError(f"two outputs want the same path: {relative}")
        self.files[relative] = content.encode("utf-8") if isinstance(content, str) else content


def build(
    settings: Settings,
    month: str,
    *,
    out_root: Path,
    strict: bool = False,
    offline: bool = False,
) -> BuildResult:
    """Build the issue for ``month`` (YYYY-MM) into ``out_root/month``.

    ``offline`` never touches the network: it reuses the snapshot saved in a previous build
    of the same month, so a rebuild reproduces what was previewed; feeds it lacks come from
    the cache under state/ or the bundled snapshots.
    """
    first = parse_month(month)
    month = f"{first:%Y-%m}"
    with month_lock(out_root, month, doing="build"):
        return _build(settings, first, out_root=out_root, strict=strict, offline=offline)


def _build(
    settings: Settings, first: date, *, out_root: Path, strict: bool, offline: bool
) -> BuildResult:
    month = f"{first:%Y-%m}"
    out_dir = out_root / month
    diagnostics = Diagnostics(strict=strict)
    sealed = sealed_reader_file(settings)
    readers = sealed is None

    issue, fetched = gather_issue(settings, first, out_dir, offline, diagnostics, readers=readers)
    bodies = _bodies(fetched)
    _check_brand_colors(settings, diagnostics)

    images = published_images(settings, issue)
    archive = _archive_entries(out_root, issue, diagnostics)
    outputs = render_issue(issue, settings, archive, images, readers=readers)
    for slug, body in sorted(bodies.items()):
        outputs.add(f"{SNAPSHOT_DIR}/{slug}", body)

    _check_email_sizes(outputs, settings, diagnostics)
    inputs = _input_hashes(settings, month) | {
        _relative(local_path(settings.content_dir, src), settings.root): sha256(data)
        for src, data in images.items()
    }
    left_out = left_out_note(settings, sealed) if sealed else ""
    outputs.add(MANIFEST, _manifest(issue, inputs, outputs.files, left_out))
    stale = _stale_print(out_dir, outputs.files[MANIFEST])
    replace_folder(out_dir, outputs.files, keep=KEPT)
    return BuildResult(
        issue=issue,
        out_dir=out_dir,
        outputs={name: sha256(data) for name, data in sorted(outputs.files.items())},
        feeds={slug: f.origin for slug, f in sorted(fetched.items())},
        warnings=(*diagnostics.warnings, *stale),
        left_out=left_out,
    )


def _stale_print(out_dir: Path, manifest: bytes) -> list[str]:
    """What to say of the print edition in ``out_dir``, which a new build keeps (printing
    again costs minutes, and the post's list of that day): nothing when it was printed
    from a build like this one (whose manifest is ``manifest``), else that it is not."""
    printed = out_dir / PRINT_DIR
    if not printed.is_dir():
        return []
    try:
        source = (printed / PRINTED_FROM).read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        source = ""
    if source == sha256(manifest):
        return []
    return [
        f"{printed}/ is kept, printed from an earlier build of {out_dir.name} that differs "
        f"from this one: run `newsletter print --month {out_dir.name}` again before it goes "
        "to the print shop"
    ]


def render_issue(
    issue: Issue,
    settings: Settings,
    archive: list[ArchiveEntry],
    images: Mapping[str, bytes],
    *,
    readers: bool = True,
) -> Outputs:
    """Every rendered file of a build (emails per segment, web pages and their images), in
    memory; the personal variants only with ``readers`` (they read the subscriber list).
    ``newsletter check`` runs this too, so a build never fails on what check passed.
    """
    env = make_environment(settings.templates_dir)
    outputs = Outputs()
    outputs.add("email.html", render_email(issue, settings, env, segment=None))
    outputs.add("email.txt", render_text(issue, settings, env, segment=None))
    for segment in settings.config.segments:
        outputs.add(
            f"segments/{segment}/email.html", render_email(issue, settings, env, segment=segment)
        )
        outputs.add(
            f"segments/{segment}/email.txt", render_text(issue, settings, env, segment=segment)
        )
    if readers and personalized(settings):
        render_variants(issue, settings, env, outputs.add)
    outputs.add("web/index.html", render_web_issue(issue, settings, env))
    outputs.add("web/archive.html", render_archive(archive, settings, env, web_url=issue.web_url))
    outputs.add("web/feed.xml", render_atom(archive, settings, env, web_url=issue.web_url))
    for src, data in images.items():
        outputs.add(f"web/{src}", data)
    return outputs


def dry_build(settings: Settings, month: str, diagnostics: Diagnostics) -> Outputs:
    """The build of ``month`` in memory, offline (cached and bundled feed copies), with
    nothing written: what ``check`` runs to find what would stop the build. It warns
    through ``diagnostics`` as ``build --offline`` would (a feed with no copy, a section
    left empty), so under ``--strict`` check refuses what the build would refuse."""
    first = parse_month(month)
    readers = sealed_reader_file(settings) is None  # sealed: check says so of the lists
    issue, _ = gather_issue(settings, first, None, True, diagnostics, readers=readers)
    _check_brand_colors(settings, diagnostics)
    images = published_images(settings, issue)
    return render_issue(issue, settings, [_archive_entry(issue)], images, readers=readers)


def _gather_feeds(
    settings: Settings,
    out_dir: Path | None,
    offline: bool,
    diagnostics: Diagnostics,
) -> dict[str, FetchedFeed]:
    """The feeds' bytes: offline, from the snapshot saved in ``out_dir`` (an earlier build
    of the month, if any), then the cache and the bundled copies; else from the network."""
    feeds = settings.config.feeds
    saved: dict[str, FetchedFeed] = {}
    if offline and out_dir is not None:
        for feed in feeds:
            path = out_dir / SNAPSHOT_DIR / feed.slug
            if path.is_file():
                saved[feed.slug] = FetchedFeed(feed.slug, path.read_bytes(), "snapshot")
        feeds = tuple(f for f in feeds if f.slug not in saved)
    fetched = fetch_feeds(
        feeds,
        cache_dir=settings.state_dir / "feeds",
        root=settings.root,
        diagnostics=diagnostics,
        allow_private_hosts=settings.config.fetch.allow_private_hosts,
        base_url=settings.config.web.base_url,
        offline=offline,
    )
    return {**saved, **fetched}


def _check_email_sizes(outputs: Outputs, settings: Settings, diagnostics: Diagnostics) -> None:
    limit = settings.config.issue.max_email_bytes
    for name, data in sorted(outputs.files.items()):
        warning = clip_warning(len(data), limit) if name.endswith("email.html") else None
        if warning:
            diagnostics.warn(warning, error=BuildError, path=name)


def _check_brand_colors(settings: Settings, diagnostics: Diagnostics) -> None:
    for adjusted in palette_adjustments(settings.config.brand):
        diagnostics.warn(
            adjusted.message, error=ConfigError, path=settings.path, key=f"brand.{adjusted.key}"
        )


def _archive_entries(out_root: Path, issue: Issue, diagnostics: Diagnostics) -> list[ArchiveEntry]:
    """Every issue built under ``out_root`` (read from their manifests), plus this one. A
    past build the system will not let us read is left out with a warning naming it (an
    error under --strict): the archive never loses an issue without a word."""
    entries = {issue.month: _archive_entry(issue)}
    for folder in folder_files(out_root, ("",), BuildError):  # "": every entry
        if folder.name == issue.month:
            continue  # this build takes its place
        manifest_path = folder / MANIFEST
        try:
            text = manifest_path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            continue  # not a build (the reports' folder, a file)
        except OSError as exc:
            diagnostics.warn(
                f"cannot read: {exc.strerror or exc}; left out of the archive",
                error=BuildError,
                path=manifest_path,
            )
            continue
        try:
            meta = json.loads(text)["issue"]
            entry = ArchiveEntry(
                month=meta["month"],
                title=meta["title"],
                issue_date=date.fromisoformat(meta["issue_date"]),
                summary=meta["summary"],
                url=meta["url"],
            )
        except (ValueError, KeyError, TypeError):
            continue  # not one of ours, or from an older layout: leave it out of the archive
        entries.setdefault(entry.month, entry)
    return sorted(entries.values(), key=lambda e: e.month, reverse=True)


def _archive_entry(issue: Issue) -> ArchiveEntry:
    return ArchiveEntry(
        month=issue.month,
        title=issue.title,
        issue_date=issue.issue_date,
        summary=issue.preheader,
        url=issue.web_url,
    )


def _input_hashes(settings: Settings, month: str) -> dict[str, str]:
    """sha256 of every file the build read, by path relative to the config's folder."""
    paths: list[Path] = [settings.path, *_word_files(settings, month)]
    paths += sorted(p for p in settings.templates_dir.rglob("*") if p.is_file())
    # The thank-you roll reads the ledger, and names from the subscriber list …
    ledger = file_exists(settings.referrals_csv, BuildError)
    if ledger:
        paths += [settings.referrals_csv]
    readers = settings.subscribers_csv
    if (ledger or personalized(settings)) and file_exists(readers, BuildError):
        paths += [readers]  # … and personal variants follow the readers' tags and facts
    return {_relative(p, settings.root): _digest(p) for p in paths}


def _word_files(settings: Settings, month: str) -> list[Path]:
    """The month's editorials and the offers: the words the email and the paper share."""
    return [*editorial_files(settings.content_dir, month), *offer_files(settings.content_dir)]


def _digest(path: Path) -> str:
    try:
        return sha256(path.read_bytes())
    except OSError as exc:
        raise BuildError(f"cannot read: {exc.strerror or exc}", path=path) from None


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _manifest(
    issue: Issue, inputs: Mapping[str, str], files: Mapping[str, bytes], left_out: str
) -> str:
    entry = _archive_entry(issue)
    manifest: dict[str, object] = {
        "issue": {
            "month": entry.month,
            "title": entry.title,
            "issue_date": entry.issue_date.isoformat(),
            "summary": entry.summary,
            "url": entry.url,
        },
        "inputs": dict(sorted(inputs.items())),
        "outputs": {name: sha256(data) for name, data in sorted(files.items())},
        "snapshot": sorted(n for n in files if n.startswith(f"{SNAPSHOT_DIR}/")),
    }
    if left_out:
        manifest[LEFT_OUT] = left_out
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def built_from(out_dir: Path) -> str:
    """The sha256 of the manifest of the build in ``out_dir`` ("" when there is none): what
    a step that uses the build records, to tell later whether the build changed."""
    try:
        return sha256((out_dir / MANIFEST).read_bytes())
    except OSError:
        return ""


def issue_of_build(
    settings: Settings, month: str, *, out_root: Path, readers: bool = True
) -> Issue:
    """The Issue of the existing build of ``month``, assembled again offline from the feed
    snapshot saved in it, so what goes to paper is what was previewed.

    With ``readers=False`` nothing under the subscribers folder is read (where it is
    sealed, or for a proof that must hold no reader): the Issue then has no thank-you
    roll, whose names come from the subscriber list.

    Raises BuildError when there is no build, or when an editorial or offer changed since
    it was made (the email would then say something else than the paper).
    """
    first = parse_month(month)
    month = f"{first:%Y-%m}"
    out_dir = out_root / month
    manifest = read_manifest(out_dir, month)
    content = settings.content_dir
    words = [content / "editorials" / month, content / "offers"]
    now = {_relative(p, settings.root): _digest(p) for p in _word_files(settings, month)}
    then = manifest.get("inputs", {})
    changed = sorted(
        name
        for name in set(now) | set(then)
        if now.get(name) != then.get(name)
        and any((settings.root / name).resolve().is_relative_to(w) for w in words)
    )
    if changed:
        raise BuildError(
            f"changed since the build: {', '.join(changed)}; build {month} again so the paper "
            "says what was previewed",
            path=out_dir,
        )
    diagnostics = Diagnostics(strict=False)  # the build already reported these warnings
    issue, _ = gather_issue(settings, first, out_dir, True, diagnostics, readers=readers)
    return issue


def gather_issue(
    settings: Settings,
    first: date,
    out_dir: Path | None,
    offline: bool,
    diagnostics: Diagnostics,
    *,
    readers: bool = True,
) -> tuple[Issue, dict[str, FetchedFeed]]:
    """The one way the pipeline makes an Issue (for a build, a check's dry build and print):
    the feeds (fetched, or the snapshot saved in ``out_dir``), the referral thank-you roll
    (unless not ``readers``: it reads the subscribers folder), and every other source of
    the month starting ``first``. Also returns the feeds."""
    fetched = _gather_feeds(settings, out_dir, offline, diagnostics)
    thanks = None
    if readers:
        thanks = thank_you_roll(
            settings.referrals_csv,
            settings.subscribers_csv,
            first,
            settings.tz,
            region=business_region(settings),
            rule=rule_of(settings),
        )
    issue = assemble_issue(settings, first, _bodies(fetched), diagnostics, thanks=thanks)
    return issue, fetched


def _bodies(fetched: Mapping[str, FetchedFeed]) -> dict[str, bytes]:
    return {slug: f.body for slug, f in fetched.items() if f.body is not None}
