"""The desk: the small web service that listens for what comes back from the newsletter.

The monthly pipeline speaks (build, send, print); the desk listens. ``newsletter serve``
runs it (Starlette under uvicorn, one process on loopback or behind an HTTPS proxy) and
it keeps an append-only inbox of events in one SQLite file (:mod:`.inbox`):

    unsubscribe       the one-click POST of RFC 8058, or the page's choice (email, post, both)
    lead              a referred friend's form on /r/CODE (or /r with a typed code)
    lead_status       the business's signed "contacted / won / lost" links
    signup            a /join form, waiting for its confirmation link
    signup_confirmed  the confirmation, with the consent record (time, form, IP)
    esp               a signed SendGrid event (bounce, spam report, unsubscribe, open …)

Every event is committed (WAL, ``synchronous=FULL``) before the response says it was
taken. The desk also acts at once where a person must (:mod:`.notify`): it emails the
business about a new lead, reminds it at 20 hours, thanks the referrer, and sends
sign-up confirmations, from an outbox kept in the same file so a restart loses none.

``newsletter desk pull`` (:mod:`.pull`) moves the events into the git-tracked CSVs.

    app ──► routes (unsubscribe, referral, status, join, webhook, admin)
     │         │
     │         ▼
     └──► inbox (group commit) ◄── notify (outbox worker) ──► Transport
"""
