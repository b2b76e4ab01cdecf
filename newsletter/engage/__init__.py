"""Readers as people: a welcome to each new reader, once (``newsletter welcome``); asking
the quiet ones whether they still want it (``newsletter engagement``); and the provider's
word on who must not be mailed (``newsletter suppressions sync``).

history          what the send ledger and the desk's email events say, read only
welcome_content  content/welcome.md: the welcome email's words, the business's own
welcome          the welcome email as one send job, exactly once per person
provider_suppressions  SendGrid's suppression lists merged into suppressions.csv
"""
