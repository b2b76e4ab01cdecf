"""Who gets what: subscribers, suppressions, segments and per-recipient tokens."""
