"""SendGrid's suppression lists (bounces, blocks, spam reports, unsubscribes, the ASM group)
as rows for ``subscribers/suppressions.csv``: :func:`fetch_suppressions` reads them,
:func:`sync_suppressions` merges them into the project's file.

Read with the official ``sendgrid`` client (python_http_client over urllib), under the
retry policy of :mod:`newsletter.deliver.sendgrid_api`. python_http_client logs request
headers at DEBUG: :class:`RedactKey` keeps the API key out of them.
"""

from __future__ import annotations

import functools
import http.client
import logging
import os
import urllib.error
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import python_http_client
import sendgrid

from newsletter.audience.addresses import EmailNotValidError, normalized_address
from newsletter.audience.suppressions import Suppression, kept_verbatim, merge_suppressions
from newsletter.config import Settings
from newsletter.deliver.factory import sendgrid_api
from newsletter.deliver.sendgrid_api import (
    DEFAULT_BASE_URL,
    AnswerLost,
    Refused,
    RetryPolicy,
    Unreached,
)

SUPPRESSION_PAGE = 500  # SendGrid's largest page for the suppression lists
# SendGrid list -> the reason it gets in subscribers/suppressions.csv
SUPPRESSION_LISTS = {
    "bounces": "bounce",
    "blocks": "bounce",
    "spam_reports": "complaint",
    "unsubscribes": "unsubscribe",
}
HTTP_LOGGER = logging.getLogger("python_http_client.client")

SuppressionRow = tuple[str, str, str, str]  # (email, reason, date YYYY-MM-DD, source)


def fetch_suppressions(
    api_key: str,
    *,
    base_url: str = DEFAULT_BASE_URL,
    asm_group_id: int | None = None,
    timeout: float = 30,
    page_size: int = SUPPRESSION_PAGE,
    retry: RetryPolicy | None = None,
) -> list[SuppressionRow]:
    """Every address SendGrid suppresses, as (email, reason, date, source) rows.

    Pages through bounces, blocks, spam reports and global unsubscribes by limit/offset,
    then the ASM group's suppressions when a group is given. The ASM endpoint gives no
    dates, so those rows carry today's (UTC) date: the day the sync learned of them.
    """
    client = sendgrid.SendGridAPIClient(api_key, host=base_url.rstrip("/"))
    # python_http_client passes this to urllib for every request, and copies it into each
    # sub-client built per call (client.suppression …).
    client.client.timeout = timeout
    policy = retry or RetryPolicy()
    redact = RedactKey(api_key)
    HTTP_LOGGER.addFilter(redact)
    try:
        rows: list[SuppressionRow] = []
        for name, reason in SUPPRESSION_LISTS.items():
            items = _all_pages(policy, client.client.suppression._(name), page_size)
            rows += [
                (
                    str(item.get("email") or ""),
                    reason,
                    _date(item.get("created")),
                    f"sendgrid:{name}",
                )
                for item in items
            ]
        if asm_group_id is not None:
            group = client.client.asm.groups._(str(asm_group_id)).suppressions
            emails = policy.call(_attempt(group.get), idempotent=True).to_dict or []
            today = datetime.now(UTC).date().isoformat()
            rows += [(e, "unsubscribe", today, f"sendgrid:asm:{asm_group_id}") for e in emails]
        return rows
    finally:
        HTTP_LOGGER.removeFilter(redact)


def sync_suppressions(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> tuple[int, list[tuple[str, str]]]:
    """Merge SendGrid's bounces, blocks, spam reports and unsubscribes into suppressions.csv
    (rewritten atomically). Returns how many addresses were new, and the (address, list)
    of each SendGrid gave that no parser reads: kept as written, and said.

    Every suppression SendGrid gives is kept: one odd address never costs the real
    bounces beside it. One that is not even a mailbox and a domain (an empty value) cannot
    be kept, and is said too.
    """
    key, url = sendgrid_api(settings, os.environ if environ is None else environ)
    found = fetch_suppressions(
        key,
        base_url=url,
        asm_group_id=settings.config.delivery.sendgrid.asm_group_id,
        timeout=settings.config.delivery.sendgrid.timeout,
    )
    entries, odd = [], []
    for email, reason, day, source in found:
        try:
            normalized_address(email)
        except EmailNotValidError:
            odd.append((email, source))
            if not kept_verbatim(email):
                continue
        entries.append(Suppression(email, reason, date.fromisoformat(day), source=source))
    return merge_suppressions(settings.suppressions_csv, entries, verbatim=True), odd


class RedactKey(logging.Filter):
    """Replaces ``secret`` in every record by ``[redacted]``."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if self._secret and self._secret in text:
            record.msg, record.args = text.replace(self._secret, "[redacted]"), ()
        return True


def _attempt(request: Callable[[], Any]) -> Callable[[], Any]:
    """``request`` (a python_http_client call) telling the retry policy what happened.
    urllib wraps an error while connecting or writing the request in URLError (it never
    arrived); an error while waiting for the answer arrives bare."""

    def attempt() -> Any:
        try:
            return request()
        except python_http_client.exceptions.HTTPError as err:
            raise Refused(err.status_code, err.headers or {}, err.body or b"") from None
        except urllib.error.URLError as err:
            raise Unreached(str(err.reason)) from None
        except (http.client.HTTPException, OSError) as err:
            raise AnswerLost(type(err).__name__) from None

    return attempt


def _all_pages(policy: RetryPolicy, endpoint: Any, page_size: int) -> list[dict[str, Any]]:
    """Every item of a limit/offset paginated list; a short page is the last one."""
    items: list[dict[str, Any]] = []
    while True:
        query = {"limit": page_size, "offset": len(items)}
        get = functools.partial(endpoint.get, query_params=query)
        page = policy.call(_attempt(get), idempotent=True)
        batch = page.to_dict or []
        items += batch
        if len(batch) < page_size:
            return items


def _date(created: Any) -> str:
    """SendGrid's ``created`` (epoch seconds) as a UTC date, YYYY-MM-DD."""
    if created is None:
        return datetime.now(UTC).date().isoformat()
    return datetime.fromtimestamp(int(created), UTC).date().isoformat()
