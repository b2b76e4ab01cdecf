"""The names of the project's data files, in one place.

Under ``paths.subscribers`` (plain CSV in git, reviewable in a pull request):

    subscribers.csv    who gets the newsletter, by which channels
    suppressions.csv   who must not get it (unsubscribes, bounces, complaints)
    referrals.csv      referred leads and what became of them
    rewards.csv        rewards handed out to referrers
    returned-mail.csv  postal addresses the post brought back, per reader (no post to
                       them until the address changes)
    consents.csv       proof of each sign-up's consent (time, form, address), from the desk
    desk.json          how far ``desk pull`` has applied the desk's events
    desk-quarantine.csv  the desk's events that ``desk pull`` set aside, with the reason

Under ``paths.state`` (machine state that must survive, not in git):

    ledger.sqlite      the send ledger: who was sent which month
    email-events.sqlite  the email provider's events and referral page visits, pulled
                       from the desk for the reports
    desk/inbox.sqlite  the desk's inbox, where the desk runs (unless ``desk.database``)

:class:`newsletter.config.Settings` gives each one's path (``settings.subscribers_csv``, …).
"""

SUBSCRIBERS_FILE = "subscribers.csv"
SUPPRESSIONS_FILE = "suppressions.csv"
REFERRALS_FILE = "referrals.csv"
REWARDS_FILE = "rewards.csv"
CONSENTS_FILE = "consents.csv"
RETURNED_MAIL_FILE = "returned-mail.csv"
DESK_CURSOR_FILE = "desk.json"
DESK_QUARANTINE_FILE = "desk-quarantine.csv"
SEND_LEDGER_FILE = "ledger.sqlite"
EMAIL_EVENTS_FILE = "email-events.sqlite"
DESK_INBOX_FILE = "desk/inbox.sqlite"
