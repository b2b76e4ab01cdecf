"""The sender domain's records as ``newsletter doctor`` judges them, through a lookup
injected in place of the network."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from newsletter.project.dns import DnsLookup, DnsUnavailable
from newsletter.project.records import Finding, domain_findings

DOMAIN = "rosecitybakery.test"


class Table:
    """Lookups answered from a table; every name asked for, in order."""

    def __init__(self, records: Mapping[tuple[str, str], Sequence[str]]) -> None:
        self.records = records
        self.asked: list[tuple[str, str]] = []

    def __call__(self, name: str, record_type: str) -> tuple[str, ...]:
        self.asked.append((name, record_type))
        return tuple(self.records.get((name, record_type), ()))


def about(findings: list[Finding], topic: str) -> list[Finding]:
    return [f for f in findings if f.topic == topic]


def test_two_spf_records_are_one_to_merge() -> None:
    table = Table({(DOMAIN, "TXT"): ["v=spf1 include:a.test ~all", "v=spf1 mx -all"]})
    [spf] = about(domain_findings(DOMAIN, "smtp", table), "spf")
    assert spf.status == "fix"
    assert "2 SPF records, so receivers ignore them all: merge them into one" in spf.text


def test_an_spf_record_that_lets_anyone_send_is_to_fix() -> None:
    table = Table({(DOMAIN, "TXT"): ["v=spf1 include:a.test +all"]})
    [spf] = about(domain_findings(DOMAIN, "smtp", table), "spf")
    assert spf.status == "fix"
    assert "lets anyone send as" in spf.text


def test_a_subdomain_is_covered_by_its_parent_domains_dmarc_record() -> None:
    table = Table({(f"_dmarc.{DOMAIN}", "TXT"): ["v=DMARC1; p=quarantine"]})
    [dmarc] = about(domain_findings(f"news.{DOMAIN}", "sendgrid", table), "dmarc")
    assert dmarc == Finding("ok", "dmarc", f"_dmarc.{DOMAIN}: v=DMARC1; p=quarantine")


def test_dmarc_is_never_looked_up_above_the_registered_domain() -> None:
    table = Table({})
    domain_findings(f"news.{DOMAIN}", "sendgrid", table)
    dmarc_names = [name for name, _ in table.asked if name.startswith("_dmarc.")]
    assert dmarc_names == [f"_dmarc.news.{DOMAIN}", f"_dmarc.{DOMAIN}"]


def test_a_dkim_key_published_as_text_counts_as_much_as_a_cname() -> None:
    table = Table({(f"k1._domainkey.{DOMAIN}", "TXT"): ["v=DKIM1; k=rsa; p=MIIB"]})
    [dkim] = about(domain_findings(DOMAIN, "smtp", table, ["k1"]), "dkim")
    assert dkim == Finding("ok", "dkim", f"k1._domainkey.{DOMAIN} holds a DKIM key")


def test_no_answer_at_all_is_one_line_and_no_verdict() -> None:
    def unreachable(name: str, record_type: str) -> tuple[str, ...]:
        raise DnsUnavailable("The DNS operation timed out")

    [finding] = domain_findings(DOMAIN, "sendgrid", unreachable)
    assert finding.status == "skipped"
    assert finding.text.startswith("no name server answered (The DNS operation timed out)")


def test_a_machine_that_names_no_name_server_has_its_records_unknown(tmp_path: Path) -> None:
    empty = tmp_path / "resolv.conf"
    empty.write_text("# no nameserver line\n", encoding="utf-8")
    lookup = DnsLookup(resolv_conf=str(empty))
    with pytest.raises(DnsUnavailable, match="this machine names no name server"):
        lookup(DOMAIN, "TXT")
