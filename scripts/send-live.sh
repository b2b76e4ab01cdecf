#!/usr/bin/env bash
# Really send a month's issue (`make send-live`): checks, a dry run, a confirmation, the send.
#
#   scripts/send-live.sh NEWSLETTER_COMMAND MONTH [send options, e.g. --limit 100]
#
# Refuses without NEWSLETTER_SECRET (and with the sample-only one: newsletter/config/secrets.py
# says which that is), and without SENDGRID_API_KEY when the config's transport is
# SendGrid. Shows the dry run's counts, then asks you to type the month; without a terminal
# (or to skip the question) pass CONFIRM=MONTH in the environment.
#
# NEWSLETTER_PYTHON is the Python with the newsletter package; by default the one
# NEWSLETTER_COMMAND runs with (its #! line). NEWSLETTER_CONFIG is the config (default
# newsletter.yaml).
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

secret=${NEWSLETTER_SECRET:-}
[[ -n "$secret" ]] || fail "set NEWSLETTER_SECRET (the real one, at least 16 characters)"

command_path=$(command -v "$newsletter" || true)
python=${NEWSLETTER_PYTHON:-}
if [[ -z "$python" && -n "$command_path" ]]; then
    python=$(sed -n '1s/^#![[:space:]]*//p' "$command_path")
fi
checked=$("${python:-python3}" - 2>/dev/null <<'PY' || true
import os
from pathlib import Path
from newsletter.config import load_config
from newsletter.config.secrets import refuse_sample_secret
from newsletter.errors import NewsletterError
try:
    refuse_sample_secret(os.environ)
except NewsletterError as refusal:
    print(f"refused: {refusal}")
    raise SystemExit
print(load_config(Path(os.environ.get("NEWSLETTER_CONFIG") or "newsletter.yaml")).config.delivery.transport)
PY
)
[[ "$checked" != refused:* ]] || fail "${checked#refused: }"
transport=$checked
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
