"""Feeds are fetched from public addresses only: loopback, private, link-local, multicast
and reserved addresses are refused (IPv4, IPv6, and IPv4 inside IPv6), on every redirect,
and the connection goes to the address that was checked (no DNS rebinding)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from newsletter.config.settings import FeedConfig, load_config
from newsletter.diagnostics import Diagnostics
from newsletter.errors import ConfigError, SourceError
from newsletter.netguard import AddressRefused, PublicOnlyTransport, host_key, why_not_public
from newsletter.sources.fetch import fetch_feeds
from tests.feed_server import FeedServer


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


def fetch(
    url: str, tmp_path: Path, *, allow: tuple[str, ...] = (), strict: bool = False
) -> tuple[str, list[str]]:
    feed = FeedConfig(name="Local News", url=url, section="local-news", timeout=3.0)
    diagnostics = Diagnostics(strict=strict)
    fetched = fetch_feeds(
        [feed],
        cache_dir=tmp_path / "state" / "feeds",
        root=tmp_path,
        diagnostics=diagnostics,
        allow_private_hosts=allow,
    )
    return fetched[feed.slug].origin, diagnostics.warnings


# ---- what is public ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "non-public"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("ff0e::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a00:1", "private"),
        ("2002:c0a8:101::", "private"),
        ("::7f00:1", "reserved"),
        ("2001:db8::1", "private"),
    ],
)
def test_non_public_addresses_are_named_for_what_they_are(address: str, kind: str) -> None:
    assert why_not_public(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_pass(address: str) -> None:
    assert why_not_public(ipaddress.ip_address(address)) == ""


# ---- refused before any connection ---------------------------------------------------------


def test_feed_on_loopback_is_refused_without_a_request(server: FeedServer, tmp_path: Path) -> None:
    origin, warnings = fetch(server.url("/rss2.xml"), tmp_path)
    assert origin == "missing"
    assert server.hits["/rss2.xml"] == 0
    assert "feed 'Local News'" in warnings[0]
    assert "refused: 127.0.0.1 is a loopback address" in warnings[0]
    assert "fetch.allow_private_hosts" in warnings[0]


def test_cloud_metadata_address_is_refused(tmp_path: Path) -> None:
    origin, warnings = fetch("http://169.254.169.254/latest/meta-data/", tmp_path)
    assert origin == "missing"
    assert "169.254.169.254 is a link-local address" in warnings[0]


@pytest.mark.parametrize(
    ("host", "kind"),
    [("[::1]", "a loopback"), ("[::ffff:127.0.0.1]", "a loopback"), ("[::]", "an unspecified")],
)
def test_ipv6_and_mapped_loopback_are_refused(host: str, kind: str, tmp_path: Path) -> None:
    _, warnings = fetch(f"http://{host}:9/feed.xml", tmp_path)
    assert f"is {kind} address" in warnings[0]


@pytest.mark.parametrize(
    ("spelling", "said"),
    [
        ("localhost", "refused: localhost resolves to"),  # a name for loopback
        ("2130706433", "resolves to 127.0.0.1, which is a loopback address"),  # decimal IPv4
    ],
)
def test_other_spellings_of_loopback_are_refused(
    spelling: str, said: str, server: FeedServer, tmp_path: Path
) -> None:
    _, warnings = fetch(server.url("/rss2.xml").replace("127.0.0.1", spelling), tmp_path)
    assert said in warnings[0]
    assert server.hits["/rss2.xml"] == 0


@pytest.mark.parametrize("host", ["exämple\u200b.com", "xn--a.example"])
def test_a_host_the_client_cannot_take_is_a_warning_in_words(tmp_path: Path, host: str) -> None:
    origin, warnings = fetch(f"https://{host}/feed.xml", tmp_path)
    assert origin == "missing"
    assert f"https://{host}/feed.xml): not an address that can be fetched: " in warnings[0]
    assert "InvalidURL" not in warnings[0] and "InvalidCodepoint" not in warnings[0]


def test_a_name_that_does_not_resolve_is_a_warning(tmp_path: Path) -> None:
    origin, warnings = fetch("http://no-such-host.invalid/feed.xml", tmp_path)
    assert origin == "missing"
    assert "cannot resolve no-such-host.invalid" in warnings[0]


# ---- redirects ---------------------------------------------------------------------------


def test_redirect_to_a_loopback_name_is_refused(server: FeedServer, tmp_path: Path) -> None:
    target = server.url("/rss2.xml").replace("127.0.0.1", "localhost")
    server.route("/hop", status=302, headers={"Location": target})
    origin, warnings = fetch(server.url("/hop"), tmp_path, allow=("127.0.0.1",))
    assert origin == "missing"
    assert server.hits["/hop"] == 1
    assert server.hits["/rss2.xml"] == 0
    assert "refused: localhost resolves to" in warnings[0]


def test_redirect_to_the_metadata_address_is_refused(server: FeedServer, tmp_path: Path) -> None:
    server.route("/hop", status=301, headers={"Location": "http://169.254.169.254/latest/"})
    origin, warnings = fetch(server.url("/hop"), tmp_path, allow=("127.0.0.1",))
    assert origin == "missing"
    assert "169.254.169.254 is a link-local address" in warnings[0]


# ---- the allow-list ------------------------------------------------------------------------


def test_an_allowed_private_host_is_fetched(server: FeedServer, tmp_path: Path) -> None:
    origin, warnings = fetch(server.url("/rss2.xml"), tmp_path, allow=("127.0.0.1",))
    assert (origin, warnings) == ("network", [])


def test_allowing_one_private_host_does_not_allow_another_name_for_it(
    server: FeedServer, tmp_path: Path
) -> None:
    url = server.url("/rss2.xml").replace("127.0.0.1", "localhost")
    assert fetch(url, tmp_path, allow=("127.0.0.1",))[0] == "missing"


def test_allowed_hosts_are_compared_as_hosts() -> None:
    assert host_key("Intranet.Example.COM.") == "intranet.example.com"
    assert host_key("::1") == "::1"
    assert host_key("bücher.example") == "xn--bcher-kva.example"
    with pytest.raises(ValueError, match="not a host name"):
        host_key("intranet.example.com/feeds")


def config_with(sample_project: Path, **top: Any) -> Path:
    path = sample_project / "newsletter.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) | top
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_config_setting_allows_named_private_hosts(sample_project: Path) -> None:
    path = config_with(sample_project, fetch={"allow_private_hosts": ["intranet.hartwell.lan"]})
    assert load_config(path).config.fetch.allow_private_hosts == ("intranet.hartwell.lan",)


def test_config_refuses_an_allowed_host_that_is_not_a_host(sample_project: Path) -> None:
    path = config_with(sample_project, fetch={"allow_private_hosts": ["http://x/"]})
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == "fetch.allow_private_hosts"


# ---- the connection goes where the check said ------------------------------------------------


class Recorder:
    """An inner transport that records what would go on the wire."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, text="<rss/>")


def test_the_connection_goes_to_the_vetted_address_with_the_original_name() -> None:
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])  # a rebinding DNS: public, then not
    lookups: list[str] = []

    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in next(answers)]

    recorder = Recorder()
    transport = PublicOnlyTransport(inner=httpx.MockTransport(recorder), resolve=resolve)
    with httpx.Client(transport=transport) as client:
        client.get("https://feeds.example.com/rss")
    (sent,) = recorder.requests
    assert lookups == ["feeds.example.com"]  # resolved once: nothing else resolves it again
    assert sent.url.host == "93.184.216.34"
    assert sent.headers["host"] == "feeds.example.com"
    assert sent.extensions["sni_hostname"] == "feeds.example.com"  # TLS checks the name


def test_a_real_connection_goes_to_the_vetted_address_and_names_the_host(
    server: FeedServer,
) -> None:
    # A name that resolves to the loopback server, with loopback judged public for once:
    # the request reaches the server over a real socket, pinned, with the name as Host.
    port = int(server.base.rsplit(":", 1)[1])

    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        assert host == "feeds.example.com"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    transport = PublicOnlyTransport(resolve=resolve, judge=lambda address: "")
    with httpx.Client(transport=transport) as client:
        response = client.get(f"http://feeds.example.com:{port}/rss2.xml")
    assert response.status_code == 200
    assert server.requests[-1].headers["host"] == f"feeds.example.com:{port}"


class ElsewhereStream:
    """A network stream whose socket ended up at another address than the one vetted."""

    def get_extra_info(self, name: str) -> Any:
        return ("10.0.0.9", 80) if name == "server_addr" else None


def test_a_connection_that_ends_up_elsewhere_is_refused() -> None:
    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, extensions={"network_stream": ElsewhereStream()})

    transport = PublicOnlyTransport(inner=httpx.MockTransport(answer), resolve=resolve)
    with (
        httpx.Client(transport=transport) as client,
        pytest.raises(AddressRefused, match=r"connected to 10\.0\.0\.9, not 93\.184\.216\.34"),
    ):
        client.get("http://feeds.example.com/")


def test_any_non_public_answer_refuses_the_host() -> None:
    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        return [(0, 0, 0, "", ("93.184.216.34", port)), (0, 0, 0, "", ("10.0.0.5", port))]

    transport = PublicOnlyTransport(inner=httpx.MockTransport(Recorder()), resolve=resolve)
    with (
        httpx.Client(transport=transport) as client,
        pytest.raises(AddressRefused, match=r"10\.0\.0\.5"),
    ):
        client.get("http://mixed.example.com/")


def test_strict_names_every_failing_feed_in_one_run(server: FeedServer, tmp_path: Path) -> None:
    feeds = [
        FeedConfig(name=name, url=url, section="local-news", timeout=3.0)
        for name, url in (
            ("Metadata", "http://169.254.169.254/"),
            ("Fine", server.url("/rss2.xml")),
            ("Broken", server.url("/error")),
            ("Gone", server.url("/not-found")),
        )
    ]
    with pytest.raises(SourceError) as caught:
        fetch_feeds(
            feeds,
            cache_dir=tmp_path / "cache",
            root=tmp_path,
            diagnostics=Diagnostics(strict=True),
            allow_private_hosts=("127.0.0.1",),
        )
    lines = caught.value.all_lines()
    assert [line.split("'")[1] for line in lines] == ["Metadata", "Broken", "Gone"]
