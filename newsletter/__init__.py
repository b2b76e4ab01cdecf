"""newsletter: a monthly local-market newsletter that turns goodwill into referrals.

The public API, one function per thing the command line does:

    load_config(path) -> Settings          newsletter.yaml, validated
    build(settings, month, out_root=…)     the build folder of a month
    check(settings, month)                 everything a build and a send read, validated
    send(settings, month, …)               the whole send (a dry run unless live=True)
    print_edition(settings, month, …)      the print edition and the print shop's package
    NewsletterError                        the root of every error the user can fix

Names are imported on first use, so ``import newsletter.x`` stays as light as ``x`` is.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsletter.config import Settings, load_config
    from newsletter.deliver.run import send_month as send
    from newsletter.errors import NewsletterError
    from newsletter.pipeline.build import build
    from newsletter.pipeline.check import check_all as check
    from newsletter.print.job import print_edition

_API = {
    "load_config": ("newsletter.config", "load_config"),
    "Settings": ("newsletter.config", "Settings"),
    "build": ("newsletter.pipeline.build", "build"),
    "check": ("newsletter.pipeline.check", "check_all"),
    "send": ("newsletter.deliver.run", "send_month"),
    "print_edition": ("newsletter.print.job", "print_edition"),
    "NewsletterError": ("newsletter.errors", "NewsletterError"),
}
__all__ = [
    "NewsletterError",
    "Settings",
    "build",
    "check",
    "load_config",
    "print_edition",
    "send",
]


def __getattr__(name: str) -> object:
    try:
        module, attribute = _API[name]
    except KeyError:
        raise AttributeError(f"module 'newsletter' has no attribute {name!r}") from None
    return getattr(importlib.import_module(module), attribute)
