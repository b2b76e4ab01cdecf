#!/usr/bin/env bash
# Run a newsletter command (a dry-run send, print, referral reports) with NEWSLETTER_SECRET.
#
#   scripts/with-secret.sh COMMAND [ARGS...]
#
# - NEWSLETTER_SECRET set: COMMAND runs with it.
# - unset, and the config sends from an example.com address (reserved for examples by
#   RFC 2606, so this is the bundled sample): COMMAND runs with SAMPLE_SECRET below, after
#   a warning. Its referral codes are fake: nothing made with it may reach a real person,
#   and `make send-live` refuses it.
# - unset otherwise: COMMAND runs as it is and says which secret is missing.
#
# NEWSLETTER_PYTHON is the Python with the newsletter package (the Makefile passes .venv's);
# NEWSLETTER_CONFIG the config (default newsletter.yaml).
set -euo pipefail

SAMPLE_SECRET=sample-only-secret-not-for-real-mail
# The desk's admin token for the sample only (`make serve`), on the same terms.
SAMPLE_DESK_TOKEN=sample-only-desk-token-not-for-a-real-desk

config_value() {
    # Prints one dotted key of the config (e.g. sender.email); nothing if it cannot load.
    "${NEWSLETTER_PYTHON:-python3}" - "$1" 2>/dev/null <<'PY' || true
import functools, os, sys
from pathlib import Path
from newsletter.config import load_config
config = load_config(Path(os.environ.get("NEWSLETTER_CONFIG") or "newsletter.yaml")).config
print(functools.reduce(getattr, sys.argv[1].split("."), config))
PY
}

if [[ -z "${NEWSLETTER_SECRET:-}" ]]; then
    sender=$(config_value sender.email)
    if [[ "$sender" =~ @([A-Za-z0-9-]+\.)*example\.(com|net|org)$ ]]; then
        echo "warning: NEWSLETTER_SECRET is not set: using the sample-only secret, because" \
            "the config sends from $sender (the bundled sample). Referral codes made with it" \
            "are not real." >&2
        export NEWSLETTER_SECRET="$SAMPLE_SECRET"
        export NEWSLETTER_DESK_TOKEN="${NEWSLETTER_DESK_TOKEN:-$SAMPLE_DESK_TOKEN}"
    fi
fi
exec "$@"
