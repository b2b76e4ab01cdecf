"""The ``leads:`` section of newsletter.yaml: when a lead counts, business hours, the second
alert; mistakes name the config's key."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from newsletter.config import load_config
from newsletter.config.leads import LeadsConfig
from newsletter.errors import ConfigError
from tests.project_factory import make_project, read_config, write_config


def load(tmp_path: Path, leads: object) -> LeadsConfig:
    root = make_project(tmp_path / "shop")
    config = read_config(root)
    config["leads"] = leads
    write_config(root, config)
    return load_config(root / "newsletter.yaml").config.leads


def test_defaults_count_qualified_leads_on_weekdays_and_send_no_second_alert(
    tmp_path: Path,
) -> None:
    leads = load(tmp_path, {})
    assert leads.count_when == "qualified" and leads.escalation is None
    hours = leads.business_hours
    assert (hours.open_at, hours.close_at, hours.weekdays) == (
        time(8),
        time(17),
        frozenset(range(5)),
    )


def test_a_second_alert_after_a_duration(tmp_path: Path) -> None:
    leads = load(tmp_path, {"escalate_after": "1h 30m", "escalate_to": "owner@example.com"})
    assert leads.escalation == timedelta(minutes=90)


@pytest.mark.parametrize(
    ("leads", "key", "message"),
    [
        ({"count_when": "booked"}, "leads.count_when", "arrival"),
        ({"escalate_after": "1h"}, "leads", "escalate_after and escalate_to go together"),
        ({"escalate_after": "soon", "escalate_to": "a@b.co"}, "leads.escalate_after", "1h, 90m"),
        ({"business_hours": {"opens": "17:00", "closes": "08:00"}}, "leads.business_hours",
         "must be later than opens"),
        ({"business_hours": {"opens": "8am"}}, "leads.business_hours.opens", "08:00"),
        ({"business_hours": {"days": ["monday"]}}, "leads.business_hours.days", "mon"),
        ({"counts_when": "won"}, "leads.counts_when", ""),
    ],
)  # fmt: skip
def test_a_mistake_names_its_key(tmp_path: Path, leads: dict, key: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, leads)
    text = caught.value.one_line() + " ".join(caught.value.all_lines())
    assert key in text and message in text
