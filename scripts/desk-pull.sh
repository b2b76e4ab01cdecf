#!/usr/bin/env bash
# The monthly workflow's desk step: pull the desk's new events (unsubscribes, confirmed
# sign-ups, referred leads) into subscribers/, and commit them to the branch, so git keeps
# the reviewable record and the build and the send read them.
#
#   scripts/desk-pull.sh NEWSLETTER [--no-commit]
#
# NEWSLETTER is the installed console script (.venv/bin/newsletter). Without a desk: section
# in newsletter.yaml there is nothing to pull. With --no-commit (a dry run, or the print job)
# the files are updated here only: the desk keeps every event, and a real run pulls them again.
# The commit is pushed to the branch the run started from (never forced); if the branch
# moved meanwhile, the push is retried once on top of it.
set -euo pipefail

newsletter=$1
commit=yes
[[ "${2:-}" == "--no-commit" ]] && commit=no

if ! grep -q '^desk:' "${NEWSLETTER_CONFIG:-newsletter.yaml}"; then
    echo "no desk: section in the config: nothing to pull"
    exit 0
fi
"$newsletter" desk pull
if [[ "$commit" == no ]]; then
    echo "the pulled files are not committed (--no-commit)"
    exit 0
fi
git add subscribers/
if git diff --cached --quiet; then
    echo "the desk had nothing new"
    exit 0
fi
git -c user.name="github-actions[bot]" \
    -c user.email="41898282+github-actions[bot]@users.noreply.github.com" \
    commit --quiet -m "desk pull: unsubscribes, sign-ups and leads from the desk"
branch=${GITHUB_REF_NAME:?}
if ! git push --quiet origin "HEAD:$branch"; then
    git pull --quiet --rebase origin "$branch"
    git push --quiet origin "HEAD:$branch"
fi
