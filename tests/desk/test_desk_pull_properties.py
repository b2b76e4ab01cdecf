"""``desk pull`` under any event data: each event is applied or set aside, never a reason
to stop, and every file it writes reads back."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.audience.subscribers import load_subscribers
from newsletter.audience.suppressions import load_suppressions
from newsletter.desk.inbox import Event
from newsletter.desk.pull import pull
from newsletter.desk.quarantine import load_set_aside
from newsletter.referrals.ledger import load_leads

TZ = ZoneInfo("America/Chicago")
KINDS = ("unsubscribe", "esp", "signup_confirmed", "lead", "lead_status", "visit", "signup")
FIELDS = (
    "email", "event", "channel", "via", "name", "phone", "code", "referrer_email", "known",
    "lead", "status", "value", "first_name", "channels", "street", "message_id", "medium",
    "issue", "url", "reason",
)  # fmt: skip
SUBSCRIBERS = (
    "email,first_name,last_name,company,segment,channels,street,city,region,postal_code,"
    "country,consent_source,consent_date,tags\n"
    "maria.gonzalez@example.com,Maria,Gonzalez,,client,email,,,,,,form,2026-01-05,\n"
)
values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "a@example.com", "bounce", "mail", "won", "608 555 0100", "WDTD6PDE"]),
    st.integers(min_value=-3, max_value=10**30),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=5), max_size=2),
)
data = st.dictionaries(st.sampled_from(FIELDS), values, max_size=8)
events = st.lists(st.tuples(st.sampled_from(KINDS), data), max_size=12)


class Inbox:
    """A source of the given events, a page at a time."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events

    def page(self, after: int, limit: int) -> tuple[str, list[Event]]:
        return "inbox", [e for e in self.events if e.id > after][:limit]

    def opt_outs_after(self, after: int) -> tuple[str, int]:
        return "inbox", 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events)
def test_every_event_is_applied_or_set_aside_and_every_file_reads_back(
    made: list[tuple[str, dict[str, Any]]],
) -> None:
    start = datetime.now(UTC) - timedelta(days=1)
    inbox = [Event(n, kind, start + timedelta(minutes=n), d) for n, (kind, d) in enumerate(made, 1)]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "subscribers"
        folder.mkdir()
        (folder / "subscribers.csv").write_text(SUBSCRIBERS, encoding="utf-8")
        report = pull(
            Inbox(inbox), subscribers_dir=folder, state_dir=Path(scratch) / "state", tz=TZ,
            page_size=3, batch_size=4,
        )  # fmt: skip
        assert report.events == len(inbox)
        load_suppressions(folder / "suppressions.csv")
        load_subscribers(folder / "subscribers.csv")
        load_leads(folder / "referrals.csv")
        set_aside = {entry.desk_event for entry in load_set_aside(folder / "desk-quarantine.csv")}
        assert set_aside == {event_id for event_id, _, _ in report.set_aside}
        again = pull(Inbox(inbox), subscribers_dir=folder, state_dir=Path(scratch) / "state", tz=TZ)
        assert (again.events, again.set_aside) == (0, [])
