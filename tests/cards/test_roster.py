"""Who gets the quarter's card: prospects and the configured segments by post, less postal
opt-outs (the printed issue's own rule), each with the right QR link."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from newsletter.cards import CardRoster, Quarter, card_roster
from newsletter.config import Settings, load_config
from newsletter.errors import ContentError
from tests.golden import FIXTURE_PROJECT, copy_sample

SECRET = b"cards-test-secret-0123456789"
Q4 = Quarter(2026, 4)
HEADER = "email,first_name,last_name,company,segment,channels,street,city,region,postal_code"
ROWS = {
    "ann": "ann@example.com,Ann,Lee,,prospect,both,9 Elm Street,Madison,WI,53714",
    "bo": "bo@example.com,Bo,Berg,,prospect,mail,1 Oak Avenue,Madison,WI,53703",
    "cy": "cy@example.com,Cy,Cho,,prospect,email,,,,",
    "di": "di@example.com,Di,Diaz,,client,both,5 Pine Road,Madison,WI,53704",
    "ed": "ed@example.com,Ed,Ekk,,partner,mail,7 Birch Lane,Madison,WI,53705",
}


def project(tmp_path: Path, cards: object = None, desk: object = None) -> Settings:
    folder = copy_sample(tmp_path / "project")
    path = folder / "newsletter.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["cards"] = cards or {}
    data.pop("desk", None)  # the sample's own
    if desk:
        data["desk"] = desk
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return load_config(path)


def write(settings: Settings, rows: Sequence[str], suppressions: Sequence[str] = ()) -> None:
    folder = settings.subscribers_dir
    (folder / "subscribers.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    lines = ["email,reason,date,source,channel", *suppressions]
    (folder / "suppressions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def roster(settings: Settings, **options: bool) -> CardRoster:
    return card_roster(settings, Q4, secret=SECRET, **options)


def emails(result: CardRoster) -> list[str]:
    return [reader.subscriber.email for reader in result.readers]


def test_prospects_with_the_mail_channel_get_a_card_in_postal_code_order(tmp_path: Path) -> None:
    settings = project(tmp_path)
    write(settings, list(ROWS.values()))
    result = roster(settings)
    assert emails(result) == ["bo@example.com", "ann@example.com"]
    assert result.segments == ("prospect",)


def test_the_config_adds_segments(tmp_path: Path) -> None:
    settings = project(tmp_path, {"segments": ["client"]})
    write(settings, list(ROWS.values()))
    assert emails(roster(settings)) == ["bo@example.com", "di@example.com", "ann@example.com"]


def test_a_postal_opt_out_takes_a_prospect_off_and_is_counted(tmp_path: Path) -> None:
    settings = project(tmp_path)
    write(settings, list(ROWS.values()), ["bo@example.com,manual,2026-10-01,phone call,mail"])
    result = roster(settings)
    assert emails(result) == ["ann@example.com"]
    assert (result.opted_out, result.returned) == (1, 0)


def test_an_opt_out_of_everything_counts_and_one_of_email_does_not(tmp_path: Path) -> None:
    settings = project(tmp_path)
    suppressions = [
        "BO@example.com,unsubscribe,2026-10-01,desk,all",
        "ann@example.com,unsubscribe,2026-10-01,list-unsubscribe,email",
    ]
    write(settings, list(ROWS.values()), suppressions)
    assert emails(roster(settings)) == ["ann@example.com"]


def test_returned_mail_is_left_off_and_counted_apart(tmp_path: Path) -> None:
    settings = project(tmp_path)
    write(settings, list(ROWS.values()), ["ann@example.com,bounce,2026-10-01,returned card,mail"])
    result = roster(settings)
    assert emails(result) == ["bo@example.com"]
    assert (result.opted_out, result.returned) == (0, 1)


def test_a_prospect_without_an_address_names_its_line(tmp_path: Path) -> None:
    settings = project(tmp_path)
    write(settings, [ROWS["ann"], "zed@example.com,Zed,Zee,,prospect,mail,,Madison,WI,"])
    with pytest.raises(ContentError) as caught:
        roster(settings)
    assert caught.value.line == 3 and caught.value.key == "street"
    assert "gets the quarterly card by mail" in caught.value.message


def test_a_missing_address_outside_the_card_segments_does_not_stop_the_cards(
    tmp_path: Path,
) -> None:
    settings = project(tmp_path)
    write(settings, [ROWS["ann"], "zed@example.com,Zed,Zee,,client,mail,,Madison,WI,"])
    assert emails(roster(settings)) == ["ann@example.com"]


def test_skip_incomplete_leaves_the_row_off_with_a_warning(tmp_path: Path) -> None:
    settings = project(tmp_path)
    write(settings, [ROWS["ann"], "zed@example.com,Zed,Zee,,prospect,mail,,Madison,WI,"])
    result = roster(settings, skip_incomplete=True)
    assert emails(result) == ["ann@example.com"]
    assert result.incomplete == 1 and "zed@example.com" in result.warnings[0]


def test_a_prospect_without_a_referral_code_gets_the_sign_up_page(tmp_path: Path) -> None:
    settings = project(tmp_path, desk={"public_url": "https://desk.example.com/"})
    write(settings, [ROWS["ann"]])
    (reader,) = roster(settings).readers
    assert (reader.code, reader.link) == ("", "https://desk.example.com/join")


def test_a_reader_the_offer_is_for_gets_their_referral_page_on_the_desk(tmp_path: Path) -> None:
    settings = project(
        tmp_path, {"segments": ["client"]}, desk={"public_url": "https://desk.example.com/"}
    )
    write(settings, [ROWS["di"]])
    (reader,) = roster(settings).readers
    assert len(reader.code) >= 8
    assert reader.link.startswith(f"https://desk.example.com/r/{reader.code}?")
    assert "utm_medium=card" in reader.link and "utm_campaign=referral-2026Q4" in reader.link


def test_without_a_desk_the_links_lead_to_the_offer_and_the_web_page(tmp_path: Path) -> None:
    settings = project(tmp_path, {"segments": ["client"]})
    write(settings, [ROWS["ann"], ROWS["di"]])
    links = {r.subscriber.email: r.link for r in roster(settings).readers}
    assert links["ann@example.com"] == settings.config.web.base_url
    assert links["di@example.com"].startswith("https://hartwellhvac.example.com/refer?ref=")


def test_the_sample_sends_cards_to_its_mail_prospects_and_clients() -> None:
    settings = load_config(FIXTURE_PROJECT / "newsletter.yaml")
    result = roster(settings)
    segments = {r.subscriber.segment for r in result.readers}
    assert segments == {"prospect", "client"}
    assert sum(r.subscriber.segment == "prospect" for r in result.readers) >= 2
