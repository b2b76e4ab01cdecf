"""The ``desk:`` section of newsletter.yaml: validated like the rest, errors name the line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from newsletter.config import load_config
from newsletter.config.desk import (
    landing_url,
    one_click_unsubscribe,
    referral_base,
    unsubscribe_base,
)
from newsletter.errors import ConfigError
from tests.golden import FIXTURE_PROJECT

DESK = "https://desk.hartwellhvac.example.com/"


def config_with_desk(folder: Path, desk: object) -> Path:
    """The sample's config in ``folder`` with ``desk`` as its desk: section (None: none)."""
    data = yaml.safe_load((FIXTURE_PROJECT / "newsletter.yaml").read_text(encoding="utf-8"))
    data.pop("desk", None)
    if desk is not None:
        data["desk"] = desk
    path = folder / "newsletter.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def problem(folder: Path, desk: object) -> ConfigError:
    path = config_with_desk(folder, desk)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value


def test_without_a_desk_links_lead_where_they_did(tmp_path: Path) -> None:
    settings = load_config(config_with_desk(tmp_path, None))
    assert settings.config.desk is None
    assert unsubscribe_base(settings.config) == "https://news.hartwellhvac.example.com/unsubscribe"
    assert referral_base(settings.config, "https://x.example/refer") == "https://x.example/refer"


def test_desk_takes_the_unsubscribe_and_referral_links(tmp_path: Path) -> None:
    settings = load_config(config_with_desk(tmp_path, {"public_url": DESK.rstrip("/")}))
    assert unsubscribe_base(settings.config) == f"{DESK}unsubscribe"
    assert one_click_unsubscribe(settings.config)
    assert landing_url(settings.config, "https://x.example/refer") == f"{DESK}r"
    assert referral_base(settings.config, "https://x.example/refer") == DESK + "r/{code}"


def test_desk_defaults_listen_on_loopback_with_the_inbox_under_state(tmp_path: Path) -> None:
    settings = load_config(config_with_desk(tmp_path, {"public_url": DESK}))
    desk = settings.config.desk
    assert desk is not None
    assert (desk.host, desk.port, desk.pull_from) == ("127.0.0.1", 8080, "auto")
    assert settings.desk_inbox == (tmp_path / "state" / "desk" / "inbox.sqlite").resolve()


def test_unknown_desk_key_is_an_error_naming_its_line(tmp_path: Path) -> None:
    error = problem(tmp_path, {"public_url": DESK, "prot": 8080})
    assert (error.key, error.message) == ("desk.prot", "unknown key")
    assert error.path is not None and error.line is not None
    assert "prot: 8080" in Path(error.path).read_text().splitlines()[error.line - 1]


def test_desk_without_its_public_address_is_an_error(tmp_path: Path) -> None:
    assert problem(tmp_path, {"port": 8080}).key == "desk.public_url"


@pytest.mark.parametrize(
    "url", ["desk.example.com", "ftp://desk.example.com/", f"{DESK}?from=mail", f"{DESK}#top"]
)
def test_desk_address_must_be_a_plain_http_base(tmp_path: Path, url: str) -> None:
    assert problem(tmp_path, {"public_url": url}).key == "desk.public_url"


def test_desk_proxies_must_be_addresses_or_networks(tmp_path: Path) -> None:
    error = problem(tmp_path, {"public_url": DESK, "proxies": ["10.0.0.0/8", "proxy.local"]})
    assert error.key == "desk.proxies"
    assert "proxy.local" in error.message


def test_desk_pull_from_names_a_known_place(tmp_path: Path) -> None:
    assert problem(tmp_path, {"public_url": DESK, "pull_from": "ftp"}).key == "desk.pull_from"
