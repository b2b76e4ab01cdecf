"""What goes to the print shop: the mailing list, a job ticket, and one zip with checksums.

``mailing-list.csv`` is a mail-merge layout, one row per addressed copy in the same order
(sorted by postal code): name, company, address_1, address_2, city, region, postal_code,
country, referral_code. The package zip holds issue.pdf, addressed.pdf, labels.pdf,
mailing-list.csv, job-ticket.txt and SHA256SUMS (``sha256sum -c`` reads it). The zip's
timestamps are the issue date, so the same job gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from newsletter.config import Settings
from newsletter.csvfile import spreadsheet_csv
from newsletter.deliver.factory import make_transport
from newsletter.deliver.transport import Attachment, Message, Receipt, Recipient, Transport
from newsletter.errors import ConfigError, DeliveryError, NewsletterError
from newsletter.print.mailing import MailingList, MailRecipient

CSV_COLUMNS = (
    "name",
    "company",
    "address_1",
    "address_2",
    "city",
    "region",
    "postal_code",
    "country",
    "referral_code",
)
PACKAGE_FILES = ("issue.pdf", "addressed.pdf", "labels.pdf", "mailing-list.csv", "job-ticket.txt")
CHECKSUMS = "SHA256SUMS"
MAX_EMAIL_PACKAGE = 14_000_000
"""Bytes: base64 makes it a third larger, and SendGrid takes 20 MB per message in all."""
PAPER_NAMES = {"letter": "US Letter, 8.5 × 11 in", "a4": "A4, 210 × 297 mm"}
FOLD_NAMES = {
    "z": "Z-fold (tri-fold), top third of page 1 facing out",
    "c": "letter fold (C, tri-fold), bottom third folded first, top third of page 1 facing out",
}


def mailing_list_csv(recipients: Sequence[MailRecipient]) -> str:
    """The mail-merge file: a header, then one row per copy in the copies' order.

    The print shop opens it in a spreadsheet or mail-merge tool, so every cell is
    neutralized (a name typed as ``=HYPERLINK(…)`` is printed, never run).
    """
    return spreadsheet_csv(CSV_COLUMNS, (_mail_merge_row(r) for r in recipients))


def _mail_merge_row(r: MailRecipient) -> list[str]:
    street = [line.strip() for line in r.address.street.splitlines() if line.strip()]
    return [
        r.name,
        r.company,
        street[0] if street else "",
        " ".join(street[1:]),
        r.address.city,
        r.address.region,
        r.address.postal_code,
        r.address.country,
        r.code,
    ]


@dataclass(frozen=True)
class JobFacts:
    title: str
    month: str
    pages: int
    mailing: MailingList
    labels_sheets: int
    most_pages: int = 0  # when personal editions differ in length: the longest's pages


def job_ticket(settings: Settings, facts: JobFacts) -> str:
    """The job ticket the print shop reads: quantity, trim, pages, bleed, fold, paper, colour."""
    config = settings.config
    print_config = config.print
    business = config.business
    envelope = print_config.envelope
    window = envelope.window
    mailing = facts.mailing
    copies = len(mailing.recipients)
    if print_config.grayscale:
        colour = "black and grey only (K)"
    elif print_config.pdfx != "none":
        colour = f"full colour, CMYK ({print_config.pdfx.upper()}, your output profile)"
    else:
        colour = "full colour (RGB: convert with your profile)"
    most = max(facts.pages, facts.most_pages)
    sheets = -(-most // 2)
    pages = f"{facts.pages}" if most == facts.pages else f"{facts.pages} to {most} by copy"
    contact = config.sender.reply_to or config.sender.email
    lines = [
        f"JOB TICKET — {facts.title}",
        "",
        f"Customer:   {business.name}, {settings.address.one_line()}"
        + (f", {business.phone}" if business.phone else ""),
        f"Contact:    {config.sender.name} <{contact}>",
        f"Issue:      {facts.month}",
        "",
        f"Quantity:   {copies} addressed copies (addressed.pdf, in postal-code order)",
        f"Trim size:  {PAPER_NAMES[print_config.paper]}",
        f"Pages:      {pages} ({sheets} sheet{'s' if sheets != 1 else ''}"
        f"{' at most' if most != facts.pages else ''}, printed on both sides)",
        f"Bleed:      {print_config.bleed / 72:.3f} in on every side; crop marks outside it "
        "(TrimBox and BleedBox are set)",
        f"Colour:     {colour}",
        f"Paper:      {print_config.paper_description}",
        f"Fold:       {FOLD_NAMES[print_config.fold]}",
        f"Envelope:   {envelope.width / 72:.3f} × {envelope.height / 72:.3f} in, window "
        f"{window.width / 72:.3f} × {window.height / 72:.3f} in, {window.left / 72:.3f} in "
        f"from the left, {window.bottom / 72:.3f} in from the bottom",
        "",
        "Mailing:",
        f"  {copies} to mail",
        f"  {mailing.opted_out} opted out of post (not printed)",
        f"  {mailing.returned} marked undeliverable after returned mail (not printed)",
        f"  {mailing.incomplete} left off for an incomplete address",
        *(
            [f"  {mailing.shared} more readers share their household's copy (one per door)"]
            if mailing.shared
            else []
        ),
        "",
        "Files:",
        "  issue.pdf         the issue without an address (hand-outs, or with labels)",
        "  addressed.pdf     one copy per recipient, address placed for the window envelope",
        f"  labels.pdf        the same recipients on {facts.labels_sheets} Avery 5160 "
        f"sheet{'s' if facts.labels_sheets != 1 else ''} (30 labels of 2.625 × 1 in)",
        "  mailing-list.csv  the same recipients for mail merge, in the same order",
        f"  {CHECKSUMS:<17} SHA-256 of each file (sha256sum -c {CHECKSUMS})",
    ]
    return "\n".join(lines) + "\n"


def checksums(files: Mapping[str, bytes]) -> str:
    """``sha256sum`` format: one ``<hex>  <name>`` line per file, sorted by name."""
    return "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())
    )


def package(
    files: Mapping[str, bytes], issue_date: date, advance: Callable[[int], object] | None = None
) -> bytes:
    """A zip of ``files`` plus SHA256SUMS, byte-identical for the same files and date;
    ``advance(1)`` is told as each file is added."""
    stamp = (issue_date.year, issue_date.month, issue_date.day, 0, 0, 0)
    entries = {**files, CHECKSUMS: checksums(files).encode("ascii")}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
            if advance is not None:
                advance(1)
    return buffer.getvalue()


def package_name(month: str) -> str:
    return f"print-package-{month}.zip"


def print_shop_message(
    settings: Settings, *, title: str, ticket: str, name: str, data: bytes
) -> Message:
    """The email to the print shop: the job ticket as text, the package attached."""
    sender = settings.config.sender
    html_ticket = ticket.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Message(
        subject=f"Print job: {title}",
        from_email=sender.email,
        from_name=sender.name,
        reply_to=sender.reply_to,
        text=f"Hello,\n\nplease find the print job attached.\n\n{ticket}",
        html=f"<p>Hello,</p><p>please find the print job attached.</p><pre>{html_ticket}</pre>",
        categories=("print-job",),
        attachments=(Attachment(name, data, "application/zip"),),
    )


def send_to_printer(settings: Settings, transport: Transport, message: Message) -> Receipt:
    """Email ``message`` to ``print.print_shop`` through the configured transport; a
    DeliveryError unless the provider took it."""
    shop = settings.config.print.print_shop
    if not shop:
        raise ConfigError(
            "set print.print_shop to the print shop's email address", key="print.print_shop"
        )
    size = sum(len(a.content) for a in message.attachments)
    if size > MAX_EMAIL_PACKAGE:
        raise NewsletterError(
            f"the package is {size / 1e6:.1f} MB, over the {MAX_EMAIL_PACKAGE / 1e6:.0f} MB "
            "that can be emailed; upload it to the print shop instead"
        )
    receipt = transport.send_batch(message, [Recipient(email=shop, name="", substitutions={})])
    if shop not in receipt.sent:
        outcomes = {**receipt.rejected, **receipt.deferred, **receipt.uncertain}
        raise DeliveryError(f"the print shop {shop} did not get the package: {outcomes[shop]}")
    return receipt


@dataclass(frozen=True)
class PackageEmail:
    name: str  # the package's file name
    size: int  # bytes
    shop: str | None  # print.print_shop, None when unset
    message_id: str | None  # None: a dry run, nothing sent

    def summary(self) -> str:
        if self.message_id is None:
            return (
                f"dry run: would email {self.name} ({self.size / 1000:.0f} KB) to "
                f"{self.shop or '(print.print_shop is not set)'}; add --yes to send"
            )
        return f"emailed {self.name} to {self.shop} (message id {self.message_id or 'unknown'})"


def email_package(
    settings: Settings,
    path: Path,
    *,
    ticket: str,
    title: str,
    live: bool,
    environ: Mapping[str, str] | None = None,
) -> PackageEmail:
    """Email the package at ``path`` to the print shop through the configured transport
    (made and closed here); unless ``live``, only say what would be sent."""
    shop = settings.config.print.print_shop
    data = path.read_bytes()
    message = print_shop_message(settings, title=title, ticket=ticket, name=path.name, data=data)
    if not live:
        return PackageEmail(path.name, len(data), shop, message_id=None)
    transport = make_transport(settings, environ)
    try:
        receipt = send_to_printer(settings, transport, message)
    finally:
        transport.close()
    return PackageEmail(path.name, len(data), shop, message_id=receipt.first_id() or "")
