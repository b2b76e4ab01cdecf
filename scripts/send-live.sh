#!/usr/bin/env bash
# Really send a month's issue (`make send-live`): checks, a dry run, a confirmation, the send.
#
#   scripts/send-live.sh NEWSLETTER_COMMAND MONTH [send options, e.g. --limit 100]
#
# Refuses without a real NEWSLETTER_SECRET (unset, or the sample-only one of
# scripts/with-secret.sh), and without SENDGRID_API_KEY when the config's transport is
# SendGrid. Shows the dry run's counts, then asks you to type the month; without a terminal
# (or to skip the question) pass CONFIRM=MONTH in the environment.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 NEWSLETTER_COMMAND MONTH [send options]" >&2
    exit 2
fi
newsletter=$1
month=$2
shift 2

fail() {
    echo "send-live: $*" >&2
    exit 1
}

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sample_secret=$(sed -n 's/^SAMPLE_SECRET=//p' "$script_dir/with-secret.sh")

secret=${NEWSLETTER_SECRET:-}
[[ -n "$secret" ]] || fail "set NEWSLETTER_SECRET (the real one, at least 16 characters)"
[[ "$secret" != "$sample_secret" ]] || fail "NEWSLETTER_SECRET is the sample-only secret"

transport=$("${NEWSLETTER_PYTHON:-python3}" - 2>/dev/null <<'PY' || true
import os
from pathlib import Path
from newsletter.config import load_config
path = Path(os.environ.get("NEWSLETTER_CONFIG") or "newsletter.yaml")
print(load_config(path).config.delivery.transport)
PY
)
if [[ "$transport" == sendgrid && -z "${SENDGRID_API_KEY:-}" ]]; then
    fail "set SENDGRID_API_KEY (the config's delivery.transport is sendgrid)"
fi

echo "== dry run of $month"
"$newsletter" send --month "$month" "$@"

if [[ "${CONFIRM:-}" != "$month" ]]; then
    if [[ ! -t 0 ]]; then
        fail "no terminal to confirm on: run again with CONFIRM=$month to send"
    fi
    read -r -p "Type $month to send it for real (anything else stops): " answer
    [[ "$answer" == "$month" ]] || fail "not confirmed: nothing sent"
fi

echo "== sending $month"
exec "$newsletter" send --month "$month" --yes "$@"
