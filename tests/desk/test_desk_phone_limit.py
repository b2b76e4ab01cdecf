"""The desk's per-phone limit counts a number however it is written."""

from __future__ import annotations

import httpx

from tests.desk.support import MARIA_CODE, RunningDesk
from tests.desk.test_desk_referral import ALEX, post_lead


def test_one_phone_number_written_four_ways_is_one_number_to_the_limit(
    desk: RunningDesk,
) -> None:
    written = ("608 555 9999", "(608) 555-9999", "+1 608 555 9999", "1-608-555-9999")
    with httpx.Client() as browser:
        codes = [
            post_lead(
                browser,
                f"{desk.url}r/{MARIA_CODE}",
                {**ALEX, "phone": phone, "email": f"friend{n}@example.net"},
            ).status_code
            for n, phone in enumerate(written)
        ]
    assert codes == [200, 200, 200, 429]
    assert [e["data"]["phone"] for e in desk.events("lead")] == list(written[:3])  # as typed
