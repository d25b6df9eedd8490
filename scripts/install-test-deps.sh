#!/usr/bin/env bash
# Installs what the tests need on Debian: Dovecot (IMAP + LMTP), Postfix and openssl for
# loketd's mail rig, Chromium for the site's browser checks (tests/browser.rs).
# (Python's email test messages are vendored under daemon/tests/fixtures/python-email.)
# Idempotent: a quick no-op when everything is present. Must run as root.
# Servers are NOT started system-wide: the test rig runs its own on free loopback ports.
set -euo pipefail

packages=(dovecot-core dovecot-imapd dovecot-lmtpd postfix openssl chromium)
missing=()
for p in "${packages[@]}"; do
    # "install ok installed" is dpkg's status for a fully installed package.
    if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]]; then
        missing+=("$p")
    fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "install-test-deps: need root to install: ${missing[*]}" >&2
    exit 1
fi
echo "install-test-deps: installing ${missing[*]}" >&2

export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections

# A policy-rc.d that answers 101 keeps the packages from starting servers on 25/143/993.
policy=/usr/sbin/policy-rc.d
made_policy=no
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=yes
fi
cleanup() { if [[ $made_policy == yes ]]; then rm -f "$policy"; fi; }
trap cleanup EXIT

install() { apt-get install -y --no-install-recommends "${missing[@]}"; }

# Update the package lists only when they are missing or the install fails on them.
if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
    apt-get update
    install
elif ! install; then
    apt-get update
    install
fi
