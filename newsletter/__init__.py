"""newsletter: a monthly local-market newsletter that turns goodwill into referrals."""
