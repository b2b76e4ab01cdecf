"""``newsletter doctor``, run as the business runs it (the console script) on a project made
by ``init``: each line says what is wrong and how to fix it; DNS comes from a name server
on loopback (tests/dns_server.py), the desk is a real one."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.desk.support import ADMIN_TOKEN, start_desk, use_desk
from tests.dns_server import name_server, silent_name_server
from tests.project.support import NEWSLETTER, init_bakery
from tests.smtp_server import free_port

DOMAIN = "rosecitybakery.test"
SECRET = "rose-city-bakery-secret-0123456789abcdef"
API_KEY = "SG.rose-city-bakery-key.0123456789"
AUTHENTICATED = {
    (DOMAIN, "TXT"): ["google-site-verification=abc", "v=spf1 include:sendgrid.net ~all"],
    (DOMAIN, "MX"): [f"mx.{DOMAIN}"],
    (f"s1._domainkey.{DOMAIN}", "CNAME"): ["s1.domainkey.u123.wl.sendgrid.net"],
    (f"s2._domainkey.{DOMAIN}", "CNAME"): ["s2.domainkey.u123.wl.sendgrid.net"],
    (f"_dmarc.{DOMAIN}", "TXT"): [f"v=DMARC1; p=none; rua=mailto:dmarc@{DOMAIN}"],
}
"""A domain authenticated in SendGrid, with SPF, DMARC and a mail host."""
SECRETS = {"NEWSLETTER_SECRET": SECRET, "SENDGRID_API_KEY": API_KEY}


def the_bakery(folder: Path, **delivery: object) -> Path:
    """The bakery's project sending from its own domain (and ``delivery``, when given)."""
    init_bakery(folder, sender_email=f"news@{DOMAIN}", website=f"https://{DOMAIN}/")
    if delivery:
        config = folder / "newsletter.yaml"
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data["delivery"] = delivery
        config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return folder


def doctor(shop: Path, *options: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The console script on ``shop`` with only ``env``'s secrets."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NEWSLETTER_", "SENDGRID_", "SMTP_"))
    }
    return subprocess.run(
        [NEWSLETTER, "doctor", *options],
        cwd=shop,
        env={**clean, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def lines(done: subprocess.CompletedProcess[str], status: str) -> list[str]:
    return [line for line in done.stdout.splitlines() if line.startswith(status + " ")]


def test_a_project_whose_domain_is_set_up_has_nothing_to_fix(tmp_path: Path) -> None:
    shop = the_bakery(tmp_path / "shop")
    with name_server(AUTHENTICATED) as server:
        done = doctor(shop, "--nameserver", server, **SECRETS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert lines(done, "fix") == []
    assert f"ok      spf: {DOMAIN}: v=spf1 include:sendgrid.net ~all" in done.stdout
    assert f"ok      dkim: s1._domainkey.{DOMAIN} points to s1.domainkey" in done.stdout
    assert f"ok      dmarc: _dmarc.{DOMAIN}: v=DMARC1; p=none" in done.stdout
    assert f"ok      mx: {DOMAIN} receives mail at mx.{DOMAIN}" in done.stdout
    assert done.stdout.splitlines()[-1].startswith("nothing to fix")


def test_a_fresh_project_is_told_each_secret_to_set_and_never_shown_one(tmp_path: Path) -> None:
    shop = the_bakery(tmp_path / "shop")
    done = doctor(shop, "--offline", SENDGRID_API_KEY="sk-live-not-sendgrid-0123456789")
    assert done.returncode == 1
    assert lines(done, "fix") == [
        "fix     secrets: NEWSLETTER_SECRET is not set: set it (openssl rand -hex 32, the same "
        "value every month: it makes every referral code and unsubscribe link)",
        "fix     secrets: SENDGRID_API_KEY does not look like a SendGrid API key (they begin "
        "with SG.)",
    ]
    assert "sk-live" not in done.stdout + done.stderr
    assert "skipped dns: offline" in done.stdout


def test_the_sample_secret_is_refused(tmp_path: Path) -> None:
    shop = the_bakery(tmp_path / "shop")
    from newsletter.config.secrets import SAMPLE_SECRET

    done = doctor(shop, "--offline", NEWSLETTER_SECRET=SAMPLE_SECRET, SENDGRID_API_KEY=API_KEY)
    assert lines(done, "fix") == [
        "fix     secrets: NEWSLETTER_SECRET is the sample's; set your own (openssl rand -hex 32)"
    ]


def test_a_domain_without_dkim_or_dmarc_is_told_which_records_to_add(tmp_path: Path) -> None:
    shop = the_bakery(tmp_path / "shop")
    with name_server({(DOMAIN, "MX"): [f"mx.{DOMAIN}"]}) as server:
        done = doctor(shop, "--nameserver", server, **SECRETS)
    assert done.returncode == 1
    fixes = lines(done, "fix")
    assert [line.split(": ")[0] for line in fixes] == ["fix     dkim"] * 2 + ["fix     dmarc"]
    assert (
        f"no DKIM record at s1._domainkey.{DOMAIN}: authenticate {DOMAIN} in SendGrid" in (fixes[0])
    )
    assert f'add a TXT record at _dmarc.{DOMAIN}: "v=DMARC1; p=none;' in fixes[2]
    assert f"note    spf: no SPF record at {DOMAIN}: SendGrid's domain authentication" in (
        done.stdout
    )
    assert done.stdout.splitlines()[-1].startswith("3 to fix")


def test_an_smtp_sender_needs_spf_and_its_named_dkim_key(tmp_path: Path) -> None:
    shop = the_bakery(tmp_path / "shop", transport="smtp", smtp={"host": f"mail.{DOMAIN}"})
    records = {
        **AUTHENTICATED,
        (DOMAIN, "TXT"): ["google-site-verification=abc"],
        (f"mail._domainkey.{DOMAIN}", "TXT"): ["v=DKIM1; k=rsa; p=MIIBIjANBgkq"],
    }
    with name_server(records) as server:
        done = doctor(
            shop,
            "--nameserver",
            server,
            "--dkim-selector",
            "mail",
            NEWSLETTER_SECRET=SECRET,
            SMTP_USERNAME="news",
        )
    assert lines(done, "fix") == [
        "fix     secrets: SMTP_PASSWORD is not set, but its pair is: set both (your mail "
        "provider's login) or neither",
        f"fix     spf: no SPF record at {DOMAIN}: add a TXT record at {DOMAIN}: "
        '"v=spf1 include:<your mail provider\'s SPF domain> ~all" (your provider names '
        "the include)",
    ]
    assert f"ok      dkim: mail._domainkey.{DOMAIN} holds a DKIM key" in done.stdout


def test_a_name_server_that_never_answers_leaves_the_records_unknown_not_missing(
    tmp_path: Path,
) -> None:
    shop = the_bakery(tmp_path / "shop")
    started = time.monotonic()
    with silent_name_server() as server:
        done = doctor(shop, "--nameserver", server, **SECRETS)
    assert time.monotonic() - started < 60
    assert done.returncode == 0, done.stdout
    assert "skipped dns: no name server answered" in done.stdout
    assert not any(line.startswith(("ok      dmarc", "ok      spf")) for line in lines(done, "ok"))


def test_a_desk_that_answers_at_its_public_address_is_found(tmp_path: Path) -> None:
    shop = the_bakery(tmp_path / "shop")
    desk = start_desk(shop, **SECRETS)
    try:
        with name_server(AUTHENTICATED) as server:
            done = doctor(
                shop, "--nameserver", server, NEWSLETTER_DESK_TOKEN=ADMIN_TOKEN, **SECRETS
            )
    finally:
        desk.stop()
    assert f"ok      desk: the desk answers at {desk.url}healthz" in done.stdout
    # on loopback and over http, it is a desk for a look, not for readers
    assert lines(done, "fix") == [
        f"fix     desk: desk.public_url is {desk.url}: readers follow it from their inbox, "
        "so set the desk's public https address"
    ]


def test_a_desk_that_does_not_answer_is_told_to_start(tmp_path: Path) -> None:
    shop = the_bakery(tmp_path / "shop")
    port = free_port()
    use_desk(shop, port, pull_from="file")
    with name_server(AUTHENTICATED) as server:
        done = doctor(shop, "--nameserver", server, **SECRETS)
    assert f"fix     desk: the desk does not answer at http://127.0.0.1:{port}/healthz (" in (
        done.stdout
    )
    assert "start it (newsletter serve" in done.stdout


def test_a_broken_config_is_a_line_to_fix_naming_its_key(tmp_path: Path) -> None:
    shop = the_bakery(tmp_path / "shop")
    config = shop / "newsletter.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "colour: blue\n", "utf-8")
    done = doctor(shop, "--offline", **SECRETS)
    assert done.returncode == 1
    [fix] = lines(done, "fix")
    assert "newsletter.yaml" in fix
    assert "colour" in fix


@pytest.mark.parametrize("server", ["ns.example.net", "127.0.0.1:99999"])
def test_a_name_server_not_given_as_an_address_is_refused(tmp_path: Path, server: str) -> None:
    done = doctor(tmp_path, "--nameserver", server)
    assert done.returncode == 2
    assert repr(server) in done.stderr
