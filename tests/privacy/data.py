"""A test business's lists with one person, Ana Lee, in every store: a subscriber who
referred a lead, was referred herself, got a reward, signed up on the desk, and was sent
an issue; and Cy, who stays."""

from __future__ import annotations

from pathlib import Path

from newsletter.audience.tokens import referral_code
from newsletter.desk.inbox import append, connect
from tests.privacy.support import SECRET
from tests.project_factory import read_config, write_config

ANA = "ana@example.com"
ANA_PHONE = "(217) 555-0142"
ANA_NAME = "Ana Lee"
CY = "cy@example.com"
SUBSCRIBERS = (
    "email,first_name,last_name,company,segment,channels,street,city,region,postal_code,"
    "country,consent_source,consent_date,tags\n"
    f"{ANA},Ana,Lee,,client,email,,,,,,website form,2025-01-14,\n"
    f"{CY},Cy,Moss,,client,email,,,,,,website form,2025-02-01,\n"
)
LEDGER_HEADER = (
    "id,received_at,referrer_code,referrer_email,lead_name,lead_address,lead_phone,"
    "lead_email,need,status,contacted_at,closed_at,value,notes,thank_by_name\n"
)


def code(email: str) -> str:
    return referral_code(SECRET.encode(), email)


def fill(root: Path) -> None:
    """Ana and Cy in every list of the project at ``root`` (the desk's inbox too)."""
    config = read_config(root)
    # Segments written out: the send's groups are then the config's own strings.
    config["segments"] = {"client": {"label": "Clients"}}
    write_config(root, config)
    folder = root / "subscribers"
    (folder / "subscribers.csv").write_text(SUBSCRIBERS, encoding="utf-8")
    (folder / "referrals.csv").write_text(
        LEDGER_HEADER
        + f'1,2026-10-03T10:12:00-05:00,{code(ANA)},{ANA},Bo Diaz,"1 Elm St, Springfield",'
        "(217) 555-0171,bo@example.net,Furnace,won,2026-10-03T14:40:00-05:00,"
        "2026-10-09T16:05:00-05:00,385.00,replaced the igniter,yes\n"
        f'2,2026-10-04T10:12:00-05:00,{code(CY)},{CY},{ANA_NAME},"9 Oak St, Springfield",'
        f"{ANA_PHONE},{ANA},Water heater,won,2026-10-04T14:40:00-05:00,"
        "2026-10-10T16:05:00-05:00,1200.00,Ana asked for mornings,yes\n",
        encoding="utf-8",
    )
    (folder / "rewards.csv").write_text(
        "handed_out_on,referrer_code,referrer_email,offer,milestone,reward,note\n"
        f"2026-10-20,{code(ANA)},{ANA},friends,1,Gift card,handed to Ana\n",
        encoding="utf-8",
    )
    (folder / "consents.csv").write_text(
        "email,requested_at,confirmed_at,form,request_ip,confirm_ip,desk_event\n"
        f"{ANA},2025-01-14T09:00:00+00:00,2025-01-14T09:05:00+00:00,signup,203.0.113.5,"
        "203.0.113.5,3\n",
        encoding="utf-8",
    )
    inbox = root / "state" / "desk" / "inbox.sqlite"
    db = connect(inbox)
    try:
        db.execute("BEGIN")
        append(db, "lead", {"name": ANA_NAME, "phone": ANA_PHONE, "email": ANA, "code": code(CY)})
        append(db, "unsubscribe", {"email": CY})
        db.execute("COMMIT")
    finally:
        db.close()
