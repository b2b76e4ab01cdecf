"""`newsletter preview` serves what the issue publishes — the email per segment, the text
and the web pages — and nothing else of the build folder (print/ holds the mailing list),
never a folder listing, and only to requests for the address it listens on."""

from __future__ import annotations

import http.client
import re
import subprocess
from collections.abc import Iterator

import pytest

from tests.project_factory import MONTH, NEWSLETTER, build, make_project


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    project = make_project(tmp_path_factory.mktemp("preview") / "p")
    assert build(project).returncode == 0
    folder = project / "build" / MONTH
    (folder / "print").mkdir()
    (folder / "print" / "mailing-list.csv").write_text("name,street\nAna Lee,1 Elm St\n")
    command = [NEWSLETTER, "preview", "--config", str(project / "newsletter.yaml")]
    command += ["--month", MONTH, "--port", "0"]
    with subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        first = process.stdout.readline()  # "serving build/2026-11 at http://127.0.0.1:PORT/ …"
        address = first.split(" at http://", 1)[1].split("/", 1)[0]
        host, port = address.rsplit(":", 1)
        try:
            yield host, int(port)
        finally:
            process.terminate()


def get(preview: tuple[str, int], path: str, host: str | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(*preview, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", f"{preview[0]}:{preview[1]}" if host is None else host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "path",
    [
        "/email.html",
        "/email.txt",
        "/segments/client/email.html",
        "/segments/prospect/email.txt",
        "/web/",
        "/web/index.html",
        "/web/archive.html",
        "/web/feed.xml",
    ],
)
def test_what_the_issue_publishes_is_served(preview: tuple[str, int], path: str) -> None:
    status, body = get(preview, path)
    assert status == 200 and b"Fixture Plumbing" in body


@pytest.mark.parametrize(
    "path",
    [
        "/print/mailing-list.csv",
        "/print/",
        "/print",
        "/manifest.json",
        "/snapshot/",
        "/segments/",
        "/web/../print/mailing-list.csv",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/segments/client/variants.json",
    ],
)
def test_nothing_else_of_the_build_folder_is_served(preview: tuple[str, int], path: str) -> None:
    status, body = get(preview, path)
    assert status == 404
    assert b"Ana Lee" not in body and b"Directory listing" not in body


def test_the_bare_address_links_the_email_per_segment_the_text_and_the_web_page(
    preview: tuple[str, int],
) -> None:
    status, body = get(preview, "/")
    assert status == 200
    page = body.decode("utf-8")
    links = re.findall(r'href="([^"]+)"', page)
    assert links == [
        "/email.html",
        "/email.txt",
        *(
            f"/segments/{s}/email.{kind}"
            for s in ("client", "partner", "prospect")
            for kind in ("html", "txt")
        ),
        "/web/",
    ]
    assert "<h1>Fixture Plumbing — November 2026</h1>" in page
    for link in links:
        assert get(preview, link)[0] == 200, link


@pytest.mark.parametrize(
    "host", ["attacker.example:{port}", "attacker.example", "127.0.0.2:{port}", ""]
)
def test_a_request_for_another_host_is_refused(preview: tuple[str, int], host: str) -> None:
    status, body = get(preview, "/email.html", host=host.format(port=preview[1]))
    assert status == 421 and b"Fixture Plumbing" not in body


def test_localhost_is_the_listening_address_too(preview: tuple[str, int]) -> None:
    status, _ = get(preview, "/email.html", host=f"localhost:{preview[1]}")
    assert status == 200


def test_the_port_must_be_the_listening_one(preview: tuple[str, int]) -> None:
    status, _ = get(preview, "/email.html", host=f"{preview[0]}:{preview[1] + 1}")
    assert status == 421
