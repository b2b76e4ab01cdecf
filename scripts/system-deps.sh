#!/usr/bin/env bash
# The system libraries WeasyPrint needs for `newsletter print` (Pango, HarfBuzz's subsetter, and at
# least one font). Without libharfbuzz-subset WeasyPrint subsets fonts with fontTools, which stamps
# the current time into every font, so the same issue no longer prints to the same bytes.
#
#   scripts/system-deps.sh            install what is missing when we can (root + apt-get on
#                                     Debian or Ubuntu, Homebrew on macOS), otherwise say
#                                     what to install; never fails
#   scripts/system-deps.sh --require  the same, but exit 1 if something is still missing (CI)
#
# Silent when everything is present, so `make setup` can call it every time.
set -euo pipefail

require=0
if [[ "${1:-}" == "--require" ]]; then
    require=1
elif [[ $# -gt 0 ]]; then
    echo "usage: $0 [--require]" >&2
    exit 2
fi

# Debian/Ubuntu packages, and the shared object each one provides.
declare -A LIBRARIES=(
    [libpango-1.0-0]=libpango-1.0.so.0
    [libpangoft2-1.0-0]=libpangoft2-1.0.so.0
    [libharfbuzz-subset0]=libharfbuzz-subset.so.0
)
FONT_PACKAGE=fonts-dejavu-core

LDCONFIG=$(command -v ldconfig || echo /sbin/ldconfig)
# Read once: `ldconfig -p | grep -q` could die of SIGPIPE under pipefail.
LIBRARY_CACHE=$("$LDCONFIG" -p 2>/dev/null || true)

has_library() {
    grep -qF "$1" <<<"$LIBRARY_CACHE"
}

has_font() {
    local dir
    for dir in /usr/share/fonts /usr/local/share/fonts "$HOME/.local/share/fonts" \
        /System/Library/Fonts /Library/Fonts; do
        if [[ -d "$dir" ]] && [[ -n "$(find "$dir" -type f \( -iname '*.ttf' -o -iname '*.otf' \
            -o -iname '*.ttc' \) -print -quit 2>/dev/null)" ]]; then
            return 0
        fi
    done
    return 1
}

# Homebrew formulae WeasyPrint needs on macOS (harfbuzz comes with pango; named for the
# subsetter, which keeps the PDFs byte-for-byte reproducible). macOS has fonts of its own.
BREW_FORMULAE=(pango harfbuzz)

brew_deps() {
    if ! command -v brew >/dev/null; then
        echo "system-deps: \`newsletter print\` needs Pango and HarfBuzz: install Homebrew" \
            "(https://brew.sh), then: brew install ${BREW_FORMULAE[*]}" >&2
        exit "$require"
    fi
    local formula missing=()
    for formula in "${BREW_FORMULAE[@]}"; do
        brew list --versions "$formula" >/dev/null 2>&1 || missing+=("$formula")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        exit 0
    fi
    echo "system-deps: installing ${missing[*]} with Homebrew (for WeasyPrint)" >&2
    if brew install "${missing[@]}" >/dev/null; then
        exit 0
    fi
    echo "system-deps: brew could not install ${missing[*]}" >&2
    exit "$require"
}

case "$(uname -s)" in
    Linux) ;;
    Darwin) brew_deps ;;
    *)
        # Others: WeasyPrint's own installation guide applies.
        exit 0
        ;;
esac

missing=()
for package in "${!LIBRARIES[@]}"; do
    has_library "${LIBRARIES[$package]}" || missing+=("$package")
done
has_font || missing+=("$FONT_PACKAGE")

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "system-deps: installing ${missing[*]} (for WeasyPrint)" >&2
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        >/dev/null; then
        exit 0
    fi
    echo "system-deps: apt-get could not install ${missing[*]}" >&2
else
    echo "system-deps: missing ${missing[*]}; \`newsletter print\` needs them." >&2
    echo "system-deps: install with: sudo apt-get install ${missing[*]}" >&2
fi
exit "$require"
