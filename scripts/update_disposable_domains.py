"""Write newsletter/referrals/disposable-domains.txt afresh from the community list.

The list of email domains that hand out throwaway addresses is kept in the repository, so
a lead's check never needs the network; this script renews it from the
``disposable-email-domains`` package (github.com/disposable-email-domains, MIT):

    .venv/bin/pip install --upgrade disposable-email-domains
    .venv/bin/python scripts/update_disposable_domains.py

and the change is reviewed like any other. Domains the business knows to be real can be
kept off with ``--keep DOMAIN`` (repeatable).
"""

from __future__ import annotations

import argparse
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = REPO / "newsletter" / "referrals" / "disposable-domains.txt"
HEADER = """\
# Email domains that hand out throwaway addresses: a referred lead with one is flagged.
# From the disposable-email-domains package {version} (MIT License, Copyright (c) 2016
# Dustin Ingram); renewed by scripts/update_disposable_domains.py. One domain a line.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="append", default=[], help="a real domain to leave out")
    options = parser.parse_args()
    from disposable_email_domains import blocklist  # type: ignore[import-not-found]

    kept = {domain.strip().lower() for domain in options.keep}
    domains = sorted({d.strip().lower() for d in blocklist if d.strip()} - kept)
    text = HEADER.format(version=version("disposable-email-domains")) + "\n".join(domains) + "\n"
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {len(domains):,} domains to {TARGET}")


if __name__ == "__main__":
    main()
