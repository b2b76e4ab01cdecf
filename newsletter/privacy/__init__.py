"""Privacy: personal data sealed in git with age, one person forgotten or exported on
request, and retention.

    keys       the secret keys here (the owner's file, the workflow's environment), sealing
               and opening bytes
    git        the git commands the seal needs (filters, blobs, attributes)
    gitfilter  git's clean/smudge/textconv filter, run by git as ``python -m``
    readers    ``newsletter keys``: create, list, add, remove, rotate, unlock, lock
    forget     ``newsletter forget`` and ``newsletter export``
    retention  ``newsletter retention``

The modules are imported by name (``from newsletter.privacy.keys import …``): this file
imports nothing, so git's filter starts without loading the rest of the tool.
"""
