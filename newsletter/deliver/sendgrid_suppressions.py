"""SendGrid's suppression lists (bounces, blocks, spam reports, unsubscribes, the ASM group)
as rows for ``subscribers/suppressions.csv``; see :func:`fetch_suppressions`."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from newsletter.deliver.sendgrid_api import (
    DEFAULT_BASE_URL,
    HTTP_LOGGER,
    RedactKey,
    RetryPolicy,
    client_for,
)

SUPPRESSION_PAGE = 500  # SendGrid's largest page for the suppression lists
# SendGrid list -> the reason it gets in subscribers/suppressions.csv
SUPPRESSION_LISTS = {
    "bounces": "bounce",
    "blocks": "bounce",
    "spam_reports": "complaint",
    "unsubscribes": "unsubscribe",
}

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
    client = client_for(api_key, base_url, timeout)
    policy = retry or RetryPolicy()
    redact = RedactKey(api_key)
    HTTP_LOGGER.addFilter(redact)
    try:
        rows: list[SuppressionRow] = []
        for name, reason in SUPPRESSION_LISTS.items():
            items = _all_pages(policy, client.client.suppression._(name), page_size)
            rows += [
                (item["email"], reason, _date(item.get("created")), f"sendgrid:{name}")
                for item in items
            ]
        if asm_group_id is not None:
            group = client.client.asm.groups._(str(asm_group_id)).suppressions
            emails = policy.call(group.get, idempotent=True).to_dict or []
            today = datetime.now(UTC).date().isoformat()
            rows += [(e, "unsubscribe", today, f"sendgrid:asm:{asm_group_id}") for e in emails]
        return rows
    finally:
        HTTP_LOGGER.removeFilter(redact)


def _all_pages(policy: RetryPolicy, endpoint: Any, page_size: int) -> list[dict[str, Any]]:
    """Every item of a limit/offset paginated list; a short page is the last one."""
    items: list[dict[str, Any]] = []
    while True:
        query = {"limit": page_size, "offset": len(items)}
        page = policy.call(functools.partial(endpoint.get, query_params=query), idempotent=True)
        batch = page.to_dict or []
        items += batch
        if len(batch) < page_size:
            return items


def _date(created: Any) -> str:
    """SendGrid's ``created`` (epoch seconds) as a UTC date, YYYY-MM-DD."""
    if created is None:
        return datetime.now(UTC).date().isoformat()
    return datetime.fromtimestamp(int(created), UTC).date().isoformat()
