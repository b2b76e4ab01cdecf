"""newsletter.yaml: every key validated, errors name the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from newsletter.config import load_config
from newsletter.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def write_config(folder: Path, data: dict) -> Path:
    path = folder / "newsletter.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def sample_data() -> dict:
    return yaml.safe_load((REPO / "newsletter.yaml").read_text(encoding="utf-8"))


def test_sample_config_loads() -> None:
    settings = load_config(REPO / "newsletter.yaml")
    assert settings.config.business.name == "Hartwell Heating & Cooling"
    assert [s.id for s in settings.config.sections][-1] == "offer"


def test_paths_resolve_next_to_the_config(tmp_path: Path) -> None:
    settings = load_config(write_config(tmp_path, sample_data()))
    assert settings.content_dir == (tmp_path / "content").resolve()
    assert settings.state_dir == (tmp_path / "state").resolve()


def test_bad_feed_url_names_file_key_and_line(tmp_path: Path) -> None:
    data = sample_data()
    data["feeds"][2]["url"] = "not a url"
    path = write_config(tmp_path, data)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    assert error.key == "feeds[2].url"
    assert error.message == "not a URL"
    line = path.read_text().splitlines()[error.line - 1]
    assert "url: not a url" in line
    assert error.one_line().startswith(f"{path}:{error.line}: feeds[2].url: not a URL")


def test_unknown_key_is_an_error_not_ignored(tmp_path: Path) -> None:
    data = sample_data()
    data["business"]["nmae"] = "typo"
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, data))
    assert caught.value.key == "business.nmae"
    assert caught.value.message == "unknown key"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = sample_data()
    data["timezone"] = "Mars/Olympus"
    data["brand"]["primary_color"] = "blue"
    del data["business"]["address"]
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, data))
    keys = {p.key for p in (caught.value, *caught.value.also)}
    assert keys == {"timezone", "brand.primary_color", "business.address"}


def test_postal_address_is_required(tmp_path: Path) -> None:
    data = sample_data()
    del data["business"]["address"]
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, data))
    assert caught.value.key == "business.address"
    assert caught.value.message == "required key is missing"


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "newsletter.yaml"
    path.write_text("business:\n  name: Shop\n  address: [unclosed\nsender: {}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.path == str(path)
    assert caught.value.line == 4
    assert caught.value.message.startswith("malformed YAML")


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yaml")
    assert caught.value.one_line() == f"{tmp_path / 'nope.yaml'}: file not found"


def test_feed_must_target_a_listed_section(tmp_path: Path) -> None:
    data = sample_data()
    data["feeds"][0]["section"] = "gossip"
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, data))
    assert caught.value.key == "feeds[0].section"
    assert "unknown section 'gossip'" in caught.value.message


def test_unknown_segment_in_section_is_an_error(tmp_path: Path) -> None:
    data = sample_data()
    data["sections"][0]["segments"] = ["client", "vip"]
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, data))
    assert caught.value.key == "sections[0].segments[1]"


def test_offer_section_is_required(tmp_path: Path) -> None:
    data = sample_data()
    data["sections"] = [s for s in data["sections"] if s["id"] != "offer"]
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, data))
    assert caught.value.key == "sections"
    assert "offer" in caught.value.message


def test_custom_observance_date_must_exist(tmp_path: Path) -> None:
    data = sample_data()
    data["holidays"]["custom"][0]["date"] = "2026-02-30"
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, data))
    assert caught.value.key == "holidays.custom[0].date"


@pytest.mark.parametrize("snapshot", ["../../../../etc/passwd", "/etc/passwd", "content/../../x"])
def test_feed_snapshot_outside_the_project_is_refused(tmp_path: Path, snapshot: str) -> None:
    data = sample_data()
    data["feeds"][0]["snapshot"] = snapshot
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, data))
    assert caught.value.key == "feeds[0].snapshot"
    assert "project" in caught.value.message


def test_more_feeds_than_are_fetched_at_once_is_an_error(tmp_path: Path) -> None:
    data = sample_data()
    data["feeds"] = [dict(data["feeds"][0], name=f"Feed {n}") for n in range(101)]
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, data))
    assert caught.value.key == "feeds"
    assert "at most 100 items" in caught.value.message


@pytest.mark.parametrize(
    ("section", "key"), [("sender", "name"), ("issue", "title"), ("business", "name")]
)
def test_a_line_break_in_a_value_for_an_email_header_names_line_and_key(
    tmp_path: Path, section: str, key: str
) -> None:
    data = sample_data()
    data.setdefault(section, {})[key] = "Hartwell\r\nBcc: everyone@example.com"
    path = write_config(tmp_path, data)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    assert error.key == f"{section}.{key}"
    assert error.message == "contains a line break, which cannot go into an email header"
    assert f"{key}:" in path.read_text().splitlines()[error.line - 1]


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("issue", "summary_length", True),
        ("delivery", "concurrency", False),
        ("desk", "idle_timeout_seconds", True),
    ],
)
def test_true_or_false_for_a_number_is_refused(
    tmp_path: Path, section: str, key: str, value: bool
) -> None:
    data = sample_data()
    target = data.setdefault(section, {})
    (target.setdefault("sendgrid", {}) if section == "delivery" else target)[key] = value
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, data))
    assert caught.value.message == f"expected a number, not {str(value).lower()}"


def test_true_for_an_optional_number_is_refused_too(tmp_path: Path) -> None:
    data = sample_data()
    data.setdefault("delivery", {}).setdefault("sendgrid", {})["asm_group_id"] = True
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, data))
    assert caught.value.key == "delivery.sendgrid.asm_group_id"
