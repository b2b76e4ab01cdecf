"""The fake SendGrid server's validation of a mail-send body, as SendGrid documents it.

1..1000 personalizations, at most 1,000 recipients in all, each address once, a subject,
content with text/plain before text/html and no empty value, at most 10 categories, string
substitutions and custom_args, attachments with base64 content and a filename. Every rule is
applied to every request; each problem is reported as SendGrid does, as (message, field).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from itertools import chain, repeat
from typing import Any

MAX_PERSONALIZATIONS = 1000
MAX_RECIPIENTS = 1000
MAX_CATEGORIES = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def validate_mail(body: Any) -> list[tuple[str, str | None]]:
    """Every problem with a mail-send body, as (message, field) pairs, SendGrid-style."""
    if not isinstance(body, dict):
        return [("The request body must be a JSON object.", None)]
    errors: list[tuple[str, str | None]] = []
    sender = body.get("from")
    if not isinstance(sender, dict) or not sender.get("email"):
        errors.append(("The from object must be provided for every email send.", "from"))
    elif not _EMAIL.match(str(sender["email"])):
        errors.append(("The from email does not contain a valid address.", "from.email"))
    reply_to = body.get("reply_to")
    if reply_to is not None and not _EMAIL.match(str(reply_to.get("email", ""))):
        errors.append(("The reply_to email does not contain a valid address.", "reply_to.email"))
    errors += _validate_personalizations(body.get("personalizations"), bool(body.get("subject")))
    errors += _validate_content(body.get("content"))
    categories = body.get("categories", [])
    if len(categories) > MAX_CATEGORIES:
        errors.append(("You may not have more than 10 categories per request.", "categories"))
    for key, value in body.get("custom_args", {}).items():
        if not isinstance(value, str):
            errors.append((f"custom_args values must be strings ({key}).", "custom_args"))
    asm = body.get("asm")
    if asm is not None and not isinstance(asm.get("group_id"), int):
        errors.append(("The asm group_id must be an integer.", "asm.group_id"))
    errors += _validate_attachments(body.get("attachments"))
    return errors


def _validate_attachments(attachments: Any) -> list[tuple[str, str | None]]:
    """SendGrid's attachment rules: base64 content and a filename each, a type without ';'
    or line breaks, disposition inline (with a content_id) or attachment."""
    if attachments is None:
        return []
    if not isinstance(attachments, list):
        return [("The attachments parameter must be an array.", "attachments")]
    errors: list[tuple[str, str | None]] = []
    for i, item in enumerate(attachments):
        where = f"attachments.{i}"
        content = item.get("content") if isinstance(item, dict) else None
        if not isinstance(content, str) or not content:
            errors.append(("The attachment content is required.", where + ".content"))
        else:
            try:
                base64.b64decode(content, validate=True)
            except ValueError:
                errors.append(
                    ("The attachment content must be base64 encoded.", where + ".content")
                )
        if not isinstance(item, dict) or not item.get("filename"):
            errors.append(("The attachment filename parameter is required.", where + ".filename"))
            continue
        kind = item.get("type", "")
        if not isinstance(kind, str) or any(c in kind for c in ";\r\n"):
            errors.append(
                ("The attachment type cannot contain ';', or CRLF characters.", where + ".type")
            )
        disposition = item.get("disposition", "attachment")
        if disposition not in ("inline", "attachment"):
            errors.append(
                (
                    "The disposition of your attachment can be either 'inline' or 'attachment'.",
                    where + ".disposition",
                )
            )
        elif disposition == "inline" and not item.get("content_id"):
            errors.append(
                (
                    "The content_id parameter is required if your attachment is inline.",
                    where + ".content_id",
                )
            )
    return errors


def _validate_personalizations(
    personalizations: Any, has_subject: bool
) -> list[tuple[str, str | None]]:
    if not isinstance(personalizations, list) or not personalizations:
        return [("You must have at least one personalization.", "personalizations")]
    if len(personalizations) > MAX_PERSONALIZATIONS:
        return [
            (
                "The personalization block is limited to 1000 personalizations per API "
                f"request. You have provided {len(personalizations)} personalizations.",
                "personalizations",
            )
        ]
    if has_subject and _well_formed(personalizations):
        return []
    return _personalization_errors(personalizations, has_subject)


def _well_formed(personalizations: list[Any]) -> bool:
    """True when every personalization has the shape a sender builds (a dict whose "to" is
    a non-empty list of dicts with a string address; substitutions, if any, a dict of
    strings), every address is valid and none repeats, and there are at most 1,000: then
    _personalization_errors would find nothing.

    A shortcut, not a second set of rules: it asks what the full checks ask (the same
    address pattern, the same case-folded repeats), but of each level of the body at once,
    and answers False at the first thing off the common path (a type other than exactly
    the one JSON gives, say), so that the full checks run and word every error as before.
    Each step is one pass in C (map, set, chain) instead of Python statements per
    personalization: a benchmark's 100,000 recipients cost the fake a fraction of the full
    checks' time this way. tests/test_fake_sendgrid_rules.py holds the two to the same
    answers."""
    if not _all_of_type(dict, personalizations):
        return False
    tos = list(map(dict.get, personalizations, repeat("to")))
    if not (_all_of_type(list, tos) and all(tos)):
        return False
    recipients = list(chain.from_iterable(tos))
    if not _all_of_type(dict, recipients):
        return False
    emails = list(map(dict.get, recipients, repeat("email")))
    substitutions = [p["substitutions"] for p in personalizations if "substitutions" in p]
    return (
        _all_of_type(str, emails)
        and len(emails) <= MAX_RECIPIENTS
        and _all_of_type(dict, substitutions)
        and _all_of_type(str, chain.from_iterable(map(dict.values, substitutions)))
        and all(map(_EMAIL.match, emails))
        and len(set(map(str.lower, emails))) == len(emails)
    )


def _all_of_type(kind: type, items: Iterable[Any]) -> bool:
    """Whether every item is exactly a ``kind`` (True for none)."""
    return set(map(type, items)) <= {kind}


def _personalization_errors(
    personalizations: list[Any], has_subject: bool
) -> list[tuple[str, str | None]]:
    """Each personalization and recipient checked on its own, every problem named."""
    errors: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    total = 0
    for i, p in enumerate(personalizations):
        where = f"personalizations.{i}"
        to = p.get("to")
        if not isinstance(to, list) or not to:
            errors.append(
                ("The to parameter is required for all personalization objects.", where + ".to")
            )
            continue
        for j, recipient in enumerate(to):
            email = str(recipient.get("email", ""))
            total += 1
            if not _EMAIL.match(email):
                errors.append(("Does not contain a valid address.", f"{where}.to.{j}.email"))
            elif email.lower() in seen:
                errors.append(
                    (
                        "Each unique email address in the personalizations array should only "
                        "be included once.",
                        f"{where}.to.{j}.email",
                    )
                )
            seen.add(email.lower())
        if not has_subject and not p.get("subject"):
            errors.append(
                (
                    "The subject is required. You can get around this requirement if you use a "
                    "template with a subject defined or if every personalization has a subject "
                    "defined.",
                    "subject",
                )
            )
        subs = p.get("substitutions", {})
        if not isinstance(subs, dict) or not all(isinstance(v, str) for v in subs.values()):
            errors.append(("Substitutions must be a map of strings.", where + ".substitutions"))
    if total > MAX_RECIPIENTS:
        errors.append(
            (
                "There is a limit of 1000 total recipients (to + cc + bcc) per request.",
                "personalizations",
            )
        )
    return errors


def _validate_content(content: Any) -> list[tuple[str, str | None]]:
    if not isinstance(content, list) or not content:
        return [
            (
                "Unless a valid template_id is provided, the content parameter is required.",
                "content",
            )
        ]
    errors: list[tuple[str, str | None]] = []
    types = [c.get("type") for c in content]
    for i, c in enumerate(content):
        if not c.get("value"):
            errors.append(
                (
                    "The content value must be a string at least one character in length.",
                    f"content.{i}.value",
                )
            )
    both = "text/plain" in types and "text/html" in types
    if both and types.index("text/plain") > types.index("text/html"):
        errors.append(
            ("If present, text/plain content must be first, followed by text/html.", "content")
        )
    return errors
