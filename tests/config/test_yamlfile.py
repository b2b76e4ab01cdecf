"""YAML with bounded work: hostile config and front matter fail at once, naming the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import main
from newsletter.config import load_config
from newsletter.config.yamlfile import MAX_DEPTH, MAX_NODES, MAX_YAML_CHARS, parse_yaml
from newsletter.errors import ConfigError, ContentError
from newsletter.sources.markup import parse_front_matter


def alias_bomb(levels: int, indent: str = "") -> str:
    """``levels`` lines of anchors, each line nine aliases of the one before: 9**levels values."""
    lines = [f"{indent}l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, levels + 1):
        lines.append(f"{indent}l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def config_error(text: str, tmp_path: Path) -> ConfigError:
    path = tmp_path / "newsletter.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value


def test_alias_bomb_in_the_config_is_refused_naming_the_line(tmp_path: Path) -> None:
    error = config_error(alias_bomb(9), tmp_path)
    assert error.line == 5  # l4: 66,430 values, the first line over the limit
    assert error.message.startswith(f"stands for more than {MAX_NODES:,} values")
    assert error.also == ()


def test_alias_bomb_in_front_matter_is_refused_naming_the_file_line() -> None:
    text = "---\ntitle: Hi\n" + alias_bomb(7) + "---\nBody\n"
    with pytest.raises(ContentError, match="more than 50,000 values") as caught:
        parse_front_matter(text, Path("content/editorials/2026-11/bomb.md"))
    assert caught.value.line == 7  # l4, on the file's seventh line


def test_check_reports_an_alias_bomb_as_one_line(sample_project: Path) -> None:
    config = sample_project / "newsletter.yaml"
    config.write_text(config.read_text() + "extra:\n" + alias_bomb(9, indent="  "))
    result = CliRunner().invoke(main, ["check", "--config", str(config), "--month", "2026-11"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "more than 50,000 values" in result.stderr


def test_a_few_aliases_still_load() -> None:
    data, _ = parse_yaml(
        "base: &seg [client, partner]\nsections:\n  - segments: *seg\n  - segments: *seg\n",
        "n.yaml",
        ConfigError,
    )
    assert data["sections"][1]["segments"] == ["client", "partner"]


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    with pytest.raises(ConfigError, match="alias refers to the value it is part of") as caught:
        parse_yaml("ok: 1\nloop: &a [1, *a]\n", "n.yaml", ConfigError)
    assert caught.value.line == 2


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    with pytest.raises(ConfigError, match=f"nested more than {MAX_DEPTH} levels deep"):
        parse_yaml(f"a: 1\nb: {deep}\n", "n.yaml", ConfigError)


def test_nesting_far_past_the_parsers_own_limit_is_one_error() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml("[" * 100_000, "n.yaml", ConfigError)
    assert caught.value.line == 1


def test_config_file_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    error = config_error("# padding\n" * (MAX_YAML_CHARS // 10 + 1), tmp_path)
    assert error.message == f"larger than {MAX_YAML_CHARS:,} bytes"


def test_front_matter_over_the_size_cap_is_refused_naming_where_it_passes_the_cap() -> None:
    header = "title: Hi\n" + "# padding\n" * (MAX_YAML_CHARS // 10 + 1)
    with pytest.raises(ContentError, match=f"longer than {MAX_YAML_CHARS:,} characters") as caught:
        parse_front_matter(f"---\n{header}---\nBody\n", Path("big.md"))
    assert caught.value.line == MAX_YAML_CHARS // 10 + 2  # 10 characters a line, from line 2


def test_impossible_date_is_an_error_naming_its_line() -> None:
    with pytest.raises(ConfigError, match="day is out of range for month") as caught:
        parse_yaml("title: x\nvalid_from: 2026-02-30\n", "offer.yaml", ConfigError)
    assert caught.value.line == 2


def test_integer_of_thousands_of_digits_is_an_error_naming_its_line() -> None:
    with pytest.raises(ConfigError, match="not a valid value: Exceeds the limit") as caught:
        parse_yaml("a: 1\nb: " + "9" * 5000 + "\n", "n.yaml", ConfigError)
    assert caught.value.line == 2
    assert "sys.set_int_max_str_digits" not in caught.value.message


def test_control_character_is_named_with_its_line() -> None:
    with pytest.raises(ConfigError, match="character U\\+001B is not allowed") as caught:
        parse_yaml("a: 1\nb: \x1b[31mred\n", "n.yaml", ConfigError)
    assert caught.value.line == 2


def test_bytes_that_are_not_utf8_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "newsletter.yaml"
    path.write_bytes(b"a: 1\nb: \xff\n")
    with pytest.raises(ConfigError, match="not UTF-8") as caught:
        load_config(path)
    assert caught.value.line == 2


def test_missing_top_level_key_names_the_first_line(tmp_path: Path) -> None:
    error = config_error("# a comment\ntimezone: America/Chicago\n", tmp_path)
    assert {(e.key, e.line) for e in (error, *error.also)} >= {("business", 2), ("web", 2)}


def test_a_key_given_twice_is_an_error_naming_the_second() -> None:
    text = "sender:\n  name: A\n  email: a@example.com\nsender:\n  name: B\n"
    with pytest.raises(ConfigError, match="key 'sender' appears twice") as caught:
        parse_yaml(text, "newsletter.yaml", ConfigError)
    assert caught.value.line == 4


def test_a_merge_key_may_be_overridden() -> None:
    text = "base: &b {name: A, tz: x}\nfeed:\n  <<: *b\n  name: B\n"
    data, _ = parse_yaml(text, "newsletter.yaml", ConfigError)
    assert data["feed"] == {"name": "B", "tz": "x"}
