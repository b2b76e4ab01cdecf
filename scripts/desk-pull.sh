#!/usr/bin/env bash
# The monthly workflow's desk step: pull the desk's new events (unsubscribes, confirmed
# sign-ups, referred leads) into subscribers/, and commit them to the branch, so git keeps
# the reviewable record and the build and the send read them.
#
#   scripts/desk-pull.sh NEWSLETTER [--no-commit | --keep COMMAND]
#
# NEWSLETTER is the installed console script (.venv/bin/newsletter). Without a desk: section
# in newsletter.yaml there is nothing to pull. With --no-commit (a dry run, or the print job)
# the files are updated here only: the desk keeps every event, and a real run pulls them again.
# With --keep, COMMAND (run by bash) keeps what the pull took outside git after each commit
# and before its push (the workflow saves the email events to the state branch): the push
# moves the desk's cursor past those events, so a runner lost in between must leave them
# either kept or still ahead of the cursor, never neither.
#
# The commit holds the files the pull changed, each added by its name: never a folder, where
# a temporary file left by a killed pull would go in with them. It is pushed to the branch the
# run started from (GITHUB_REF_NAME), never forced. If that branch moved meanwhile (another
# run's pull, any commit), the checkout is moved to it and the desk pulled again on top: the
# desk keeps every event and applying one twice changes nothing, so nothing is lost and no
# change is merged by hand. A push refused for any other reason fails in one line that quotes
# git's rejection. Commits are made as github-actions[bot]: a runner has no git identity.
set -euo pipefail
shopt -s inherit_errexit

BOT_NAME="github-actions[bot]"
BOT_EMAIL="41898282+github-actions[bot]@users.noreply.github.com"
ATTEMPTS=5

fail() {
    echo "desk-pull: $*" >&2
    exit 1
}

# Each file that differs from HEAD or is new (and not ignored), as "HASH PATH" lines: what
# the pull changed is what differs between the lists before and after it.
changed_files() {
    local path
    git ls-files -z --modified --others --exclude-standard | sort -zu |
        while IFS= read -r -d '' path; do
            if [[ -e "$path" ]]; then
                printf '%s %s\n' "$(git hash-object -- "$path")" "$path"
            else
                printf 'deleted %s\n' "$path"
            fi
        done
}

# The line of git's output that says why a push failed: its "! [rejected] … (reason)" or
# "! [remote rejected] … (reason)", else the last error; never a "hint:" line.
why_refused() {
    local line
    line=$(grep -E '^[[:space:]]*! \[' <<<"$1" | tail -n 1 || true)
    [[ -n "$line" ]] || line=$(grep -E '^(fatal|error|remote): ' <<<"$1" | tail -n 1 || true)
    [[ -n "$line" ]] || line=$(grep -v '^hint:' <<<"$1" | tail -n 1 || true)
    echo "${line#"${line%%[![:space:]]*}"}"
}

# Pull the desk and commit what it changed; sets committed=yes or no. (Called as a command,
# never in an `if`: there bash would ignore set -e in it, and a failed pull would look empty.)
pull_and_commit() {
    local before after line path
    local -a pulled=()
    committed=no
    before=$(changed_files)
    "$newsletter" desk pull
    after=$(changed_files)
    while IFS= read -r line; do
        [[ -n "$line" ]] || continue
        path=${line#* }
        if [[ "${path##*/}" == .*.tmp ]]; then
            echo "left out: $path (a temporary file, not data)"
            continue
        fi
        pulled+=("$path")
    done < <(comm -13 <(sort <<<"$before") <(sort <<<"$after"))
    if ((${#pulled[@]} == 0)); then
        return 0
    fi
    git add -- "${pulled[@]}"
    git -c user.name="$BOT_NAME" -c user.email="$BOT_EMAIL" commit --quiet \
        -m "desk pull: unsubscribes, sign-ups and leads from the desk" -- "${pulled[@]}"
    echo "committed: ${pulled[*]}"
    committed=yes
}

newsletter=$1
commit=yes
keep=""
case "${2:-}" in
"") ;;
--no-commit) commit=no ;;
--keep) keep=${3:?--keep needs a command} ;;
*)
    echo "usage: $0 NEWSLETTER [--no-commit | --keep COMMAND]" >&2
    exit 2
    ;;
esac

if ! grep -q '^desk:' "${NEWSLETTER_CONFIG:-newsletter.yaml}"; then
    echo "no desk: section in the config: nothing to pull"
    exit 0
fi
if [[ "$commit" == no ]]; then
    "$newsletter" desk pull
    echo "the pulled files are not committed (--no-commit)"
    exit 0
fi

branch=${GITHUB_REF_NAME:?the branch to commit to (GITHUB_REF_NAME) is not set}
depth=()
[[ "$(git rev-parse --is-shallow-repository)" == true ]] && depth=(--depth=1)
for ((attempt = 1; ; attempt++)); do
    base=$(git rev-parse HEAD)
    pull_and_commit
    if [[ "$committed" == no ]]; then
        echo "the desk had nothing new"
        exit 0
    fi
    if [[ -n "$keep" ]]; then
        bash -c "$keep"
    fi
    if output=$(git push --quiet origin "HEAD:refs/heads/$branch" 2>&1); then
        exit 0
    fi
    refused=$(why_refused "$output")
    if ! listing=$(git ls-remote --heads origin "refs/heads/$branch" 2>&1); then
        fail "cannot push to origin $branch ($refused), nor read it: $(why_refused "$listing")"
    fi
    now=${listing%%[[:space:]]*}
    if [[ -z "$now" || "$now" == "$base" ]]; then
        fail "cannot push to origin $branch: $refused"
    fi
    if ((attempt == ATTEMPTS)); then
        fail "origin $branch kept moving: the pull is not committed after $ATTEMPTS attempts"
    fi
    echo "origin $branch moved meanwhile: pulling the desk again on top of it"
    git fetch --quiet --no-tags "${depth[@]}" origin "refs/heads/$branch"
    git reset --quiet --hard FETCH_HEAD
done
