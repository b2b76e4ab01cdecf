"""The desk for a project: what ``newsletter serve``, ``newsletter desk pull`` and the
send's check call, each given the project's :class:`~newsletter.config.Settings`.

Where the desk is read from follows ``desk.pull_from``: its inbox file when the desk runs
on this machine, else its public address over HTTPS with ``NEWSLETTER_DESK_TOKEN`` (the
monthly workflow's case); ``auto`` takes the file when it exists here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from newsletter.config import Settings
from newsletter.desk.pull import PAGE, FileSource, HttpSource, PullReport
from newsletter.desk.pull import pending_opt_outs as _pending
from newsletter.desk.pull import pull as _pull
from newsletter.desk.settings import admin_token_from_env, desk_settings
from newsletter.errors import ConfigError, DeskError
from newsletter.referrals.actions import sync_project_rewards

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@contextlib.contextmanager
def desk_source(
    settings: Settings,
    *,
    url: str | None = None,
    inbox: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Iterator[FileSource | HttpSource]:
    """The project's desk to read events from: ``inbox`` or ``url`` when given, else as
    ``desk.pull_from`` says."""
    env = os.environ if environ is None else environ
    desk = settings.config.desk
    if inbox is None and url is None:
        if desk is None:
            raise ConfigError(
                "no desk in the config: add a desk: section (or give --from or --inbox)",
                path=settings.path,
                key="desk",
            )
        local = settings.desk_inbox
        use_file = desk.pull_from == "file" or (desk.pull_from == "auto" and local.exists())
        inbox, url = (local, None) if use_file else (None, desk.public_url)
    if inbox is not None:
        yield FileSource(inbox)
        return
    assert url is not None
    source = HttpSource(url, admin_token_from_env(env))
    try:
        yield source
    finally:
        source.close()


def _never_ran_here(settings: Settings) -> bool:
    """True for a desk read from its file (``pull_from: file``) on this machine's loopback
    address whose inbox does not exist yet (the sample, before `make serve`): no reader can
    reach such a desk, so nothing waits in it. A public desk's missing inbox is never taken
    for an empty one, nor is a desk read as ``auto``, which may be read over HTTPS instead."""
    desk = settings.config.desk
    if desk is None or desk.pull_from != "file" or settings.desk_inbox.exists():
        return False
    return urlsplit(desk.public_url).hostname in LOOPBACK


def pull_desk(
    settings: Settings,
    *,
    url: str | None = None,
    inbox: Path | None = None,
    page_size: int = PAGE,
    environ: Mapping[str, str] | None = None,
) -> PullReport:
    """Apply the desk's new events to the project's suppressions, subscribers, referrals
    and rewards (see :func:`newsletter.desk.pull.pull`), then add the rewards reached."""
    if url is None and inbox is None and _never_ran_here(settings):
        return PullReport(warnings=["the desk has not run on this machine yet: nothing to pull"])
    with desk_source(settings, url=url, inbox=inbox, environ=environ) as source:
        report = _pull(
            source,
            subscribers_dir=settings.subscribers_dir,
            state_dir=settings.state_dir,
            tz=settings.tz,
            country=settings.config.business.address.country,
            page_size=page_size,
        )
    # The leads pulled may reach a milestone: its reward waits for the business's approval.
    report.rewards = len(sync_project_rewards(settings))
    return report


def check_desk_pulled(settings: Settings, *, environ: Mapping[str, str] | None = None) -> int:
    """Raise DeskError when the desk holds opt-outs not pulled yet (a send must not mail
    someone who has unsubscribed); the number waiting otherwise (0). Nothing to check
    without a ``desk:`` section."""
    if settings.config.desk is None or _never_ran_here(settings):
        return 0
    try:
        with desk_source(settings, environ=environ) as source:
            waiting = _pending(source, settings.subscribers_dir)
    except DeskError as exc:
        raise DeskError(
            f"cannot check the desk for unsubscribes: {exc.message} "
            "(--skip-desk-check sends without checking)",
            path=exc.path,
        ) from None
    if waiting:
        raise DeskError(
            f"the desk holds {waiting} opt-out{'s' if waiting != 1 else ''} not pulled yet: "
            "run `newsletter desk pull` first (or --skip-desk-check)"
        )
    return waiting


def serve_desk(
    settings: Settings,
    *,
    public_url: str | None = None,
    host: str | None = None,
    port: int | None = None,
    inbox: Path | None = None,
    proxies: str | None = None,
    email: bool = True,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Run the desk of the project until interrupted: the ``desk:`` section's address,
    listening host and port and inbox, unless given here (without a ``desk:`` section, on
    ``http://127.0.0.1:8080/``). Notification emails go through the project's transport (a
    missing transport secret stops here, not at the first lead); without ``email`` none
    is sent (a look at the pages on this machine)."""
    from newsletter.deliver.factory import make_transport
    from newsletter.desk.connections import ConnectionLimits
    from newsletter.desk.serve import serve

    config = settings.config.desk
    host = host or (config.host if config else "127.0.0.1")
    port = port if port is not None else (config.port if config else 8080)
    if config is None and public_url is None:
        public_url = f"http://{host}:{port}/"  # no desk configured: a look on this machine
    desk = desk_settings(
        settings,
        public_url=public_url,
        inbox=inbox,
        environ=environ,
        transport=(lambda: make_transport(settings)) if email else None,
    )
    if email:
        make_transport(settings).close()
    serve(
        desk,
        host=host,
        port=port,
        proxies=proxies if proxies is not None else ",".join(config.proxies if config else ()),
        limits=ConnectionLimits.of(config),
    )
