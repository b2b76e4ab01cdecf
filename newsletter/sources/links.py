"""One policy for every link the issue takes from a feed, a calendar or a content file.

A link a reader may follow is an absolute ``http`` or ``https`` URL with a host and nothing
that reads differently to a person than to a browser: no user name or password
(``https://bank.example@evil.example/`` leads to evil.example), no backslash, no control
character, a port that is a number. Anything else — ``javascript:``, ``data:``, a relative
path with nothing to resolve it against — is no link at all, and the issue shows the text
without it.

Links that came from someone else's feed or calendar also lose the parameters trackers add
(``utm_*``, ``fbclid``, ``gclid``, ``mc_eid`` …): the reader never agreed to them. The
issue's own campaign parameters are added to its own links when it is sent, never here.
"""

from __future__ import annotations

from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

WEB_SCHEMES = frozenset({"http", "https"})
MAX_LINK_CHARS = 2000
"""Longer is no link a person follows (and no email client shows); it is left out."""
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid"}
    | {"mc_cid", "mc_eid", "ref_src", "ref_url", "_hsenc", "_hsmi", "mkt_tok"}
    | {"oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "wickedid", "s_cid", "cmpid"}
    | {"__s", "_ga", "_gl", "spm"}
)
"""Click and campaign identifiers of ad networks, mail services and analytics; ``utm_*``
too. They are removed from links that came from feeds."""
COMPARED_WITHOUT = TRACKING_PARAMS | {"ref"}
"""Parameters two links may differ in and still be the same story. ``ref`` is often a
referrer tag, but some sites need it (a branch, a code), so it stays in the link itself."""


def reader_link(url: str, *, base: str = "") -> str:
    """``url`` as a link a reader may follow (see the module's doc), or ``''``.

    A relative ``url`` is resolved against ``base`` when ``base`` is itself such a link;
    surrounding whitespace is trimmed and inner spaces are encoded.
    """
    text = url.strip()
    if not text or len(text) > MAX_LINK_CHARS:
        return ""
    if any(ord(c) < 32 or ord(c) == 127 or c == "\\" for c in text):
        return ""  # browsers drop or reinterpret these; what a person reads is not the link
    text = text.replace(" ", "%20")
    if base and not _scheme(text):
        base = reader_link(base)
        if not base:
            return ""
        text = urljoin(base, text)
    return text if _is_web_link(text) else ""


def feed_link(url: str, *, base: str = "") -> str:
    """A link that came from a feed or a calendar: :func:`reader_link` without trackers."""
    link = reader_link(url, base=base)
    return without_tracking(link) if link else ""


def without_tracking(url: str) -> str:
    """``url`` without tracking parameters; every other parameter keeps its spelling and
    place, and a URL without any is returned as it is."""
    parts = urlsplit(url)
    pairs = parts.query.split("&") if parts.query else []
    if not any(_is_listed(_key(pair), TRACKING_PARAMS) for pair in pairs):
        return url
    return urlunsplit(parts._replace(query=_query_without(parts.query, TRACKING_PARAMS)))


def normalize_link(url: str) -> str:
    """``url`` in a canonical form for comparison.

    Lowercases scheme and host, drops default ports, the fragment, a trailing slash and
    tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``, ``ref`` …); keeps
    the order of the remaining query parameters. Non-web URLs are only trimmed.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in WEB_SCHEMES or not parts.hostname:
        return url
    host = parts.hostname.lower()
    if port and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    if parts.username or parts.password:
        host = parts.netloc.rsplit("@", 1)[0] + "@" + host
    query = _query_without(parts.query, COMPARED_WITHOUT)
    return urlunsplit((scheme, host, parts.path.rstrip("/"), query, ""))


def _query_without(query: str, names: frozenset[str]) -> str:
    """``query`` without the parameters in ``names`` (or ``utm_*``), filtering the raw
    pairs so that those that stay keep their exact spelling."""
    return "&".join(pair for pair in query.split("&") if pair and not _is_listed(_key(pair), names))


def _key(pair: str) -> str:
    return unquote_plus(pair.split("=", 1)[0]).lower()


def _is_listed(key: str, names: frozenset[str]) -> bool:
    return key.startswith("utm_") or key in names


def _scheme(text: str) -> str:
    try:
        return urlsplit(text).scheme
    except ValueError:
        return ""


def _is_web_link(text: str) -> bool:
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return (
        parts.scheme.lower() in WEB_SCHEMES
        and bool(parts.hostname)
        and "@" not in parts.netloc
        and parts.netloc.strip() == parts.netloc
    )
