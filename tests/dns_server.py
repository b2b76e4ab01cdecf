"""A name server on loopback for the tests: it answers from a table of records, over UDP,
as a real one does (dnspython's wire format), so the code under test resolves through its
real resolver and never reaches the internet."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import ClassVar

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

Records = Mapping[tuple[str, str], Sequence[str]]
"""(name, type) → the records' values: a TXT's text, a CNAME's or MX's host."""


class _Answer(socketserver.BaseRequestHandler):
    records: ClassVar[Records] = {}

    def handle(self) -> None:
        data, sock = self.request
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        kind = dns.rdatatype.to_text(question.rdtype)
        values = self.records.get((name, kind), ())
        if values:
            texts = [_rdata(kind, value) for value in values]
            response.answer.append(dns.rrset.from_text_list(question.name, 300, "IN", kind, texts))
        elif not any(known == name for known, _ in self.records):
            response.set_rcode(dns.rcode.NXDOMAIN)
        sock.sendto(response.to_wire(), self.client_address)


def _rdata(kind: str, value: str) -> str:
    if kind == "TXT":
        # one record may hold several strings of at most 255 bytes each
        chunks = [value[i : i + 255] for i in range(0, len(value), 255)]
        return " ".join('"' + chunk.replace('"', '\\"') + '"' for chunk in chunks)
    if kind == "MX":
        return f"10 {value}."
    return value + "."


@contextlib.contextmanager
def name_server(records: Records) -> Iterator[str]:
    """A name server answering ``records`` while the block runs: its ``IP:PORT``."""
    handler = type("Answer", (_Answer,), {"records": dict(records)})
    server = socketserver.ThreadingUDPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def silent_name_server() -> Iterator[str]:
    """A UDP port on loopback that takes queries and never answers: ``IP:PORT``."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{sock.getsockname()[1]}"
