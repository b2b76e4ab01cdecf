"""A 2xx means it is kept: kill -9 the desk in the middle of a load, and every request it
answered with success is in the inbox after a restart, and in the CSVs after a pull."""

from __future__ import annotations

import csv
import threading
import time
from zoneinfo import ZoneInfo

import httpx

from newsletter.audience.tokens import unsubscribe_tokens
from newsletter.desk.pull import FileSource, pull
from tests.desk.support import MARIA_CODE, SECRET, RunningDesk, form_token, wait_for

TOKENS = unsubscribe_tokens(SECRET.encode())


def unsubscribe_load(
    desk: RunningDesk, worker: int, answered: list[str], stop: threading.Event
) -> None:
    with httpx.Client(timeout=5) as client:
        for n in range(100_000):
            if stop.is_set():
                return
            email = f"reader{worker}-{n}@example.com"
            try:
                answer = client.post(
                    f"{desk.url}unsubscribe?t={TOKENS.token(email)}",
                    content=b"List-Unsubscribe=One-Click",
                    headers={"content-type": "application/x-www-form-urlencoded"},
                )
            except httpx.TransportError:
                return  # the desk is gone
            if answer.status_code == 200:
                answered.append(email)


def lead_load(desk: RunningDesk, answered: list[str], stop: threading.Event) -> None:
    with httpx.Client(timeout=5) as browser:
        token = form_token(browser.get(f"{desk.url}r/{MARIA_CODE}").text)
        for n in range(15):  # the desk takes 20 form posts an hour from one address
            if stop.is_set():
                return
            name = f"Durable Lead{n}"
            fields = {"name": name, "phone": f"608 555 {2000 + n}", "consent": "yes", "form": token}
            try:
                answer = browser.post(f"{desk.url}r/{MARIA_CODE}", data=fields)
            except httpx.TransportError:
                return
            if answer.status_code == 200 and "Thank you" in answer.text:
                answered.append(name)
            time.sleep(0.05)


def test_every_answered_request_survives_a_kill_and_reaches_the_csvs(desk: RunningDesk) -> None:
    unsubscribed: list[str] = []
    leads: list[str] = []
    stop = threading.Event()
    workers = [
        threading.Thread(target=unsubscribe_load, args=(desk, w, unsubscribed, stop))
        for w in range(6)
    ]
    workers.append(threading.Thread(target=lead_load, args=(desk, leads, stop)))
    for worker in workers:
        worker.start()
    # Killed mid-load (requests in flight get no answer), however busy the machine is.
    wait_for(lambda: len(unsubscribed) >= 200 and leads, timeout=60, what="a real load")
    desk.kill()
    stop.set()
    for worker in workers:
        worker.join(timeout=30)

    desk.start()
    kept = {e["data"]["email"] for e in desk.events("unsubscribe")}
    assert set(unsubscribed) <= kept
    names = {e["data"]["name"] for e in desk.events("lead")}
    assert set(leads) <= names

    folder = desk.project / "subscribers"
    pull(
        FileSource(desk.inbox),
        subscribers_dir=folder,
        state_dir=desk.project / "state",
        tz=ZoneInfo("America/Chicago"),
    )
    with (folder / "suppressions.csv").open(encoding="utf-8") as handle:
        suppressed = {row["email"] for row in csv.DictReader(handle)}
    assert set(unsubscribed) <= suppressed
    with (folder / "referrals.csv").open(encoding="utf-8") as handle:
        ledger = {row["lead_name"] for row in csv.DictReader(handle)}
    assert set(leads) <= ledger
