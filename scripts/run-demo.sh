#!/usr/bin/env bash
# `make run`: start lcwd in the foreground on the embedded SQLite store with a
# demo directory, and print the URL and an admin token. The token is kept in
# DATA_DIR/admin-token (mode 0600) so that every `make run` shows the same one.
set -euo pipefail
lcwd=${1:-build/lcwd}
data_dir=${2:-./var}
listen=${3:-127.0.0.1:8080}

mkdir -p "$data_dir"
chmod 700 "$data_dir"
token_file="$data_dir/admin-token"
if [ ! -s "$token_file" ]; then
  umask 077
  printf 'lcw_%s\n' "$(head -c 32 /dev/urandom | base64 | tr -d '/+=\n' | head -c 43)" > "$token_file"
fi
token=$(cat "$token_file")

cat >&2 <<MSG

  lcwd is starting with a demo directory.

    URL:          http://$listen
    Admin token:  $token

  Try:
    curl -H "Authorization: Bearer $token" \\
      http://$listen/v1.0/identityGovernance/lifecycleWorkflows/workflows

  Stop with Ctrl-C.

MSG
exec env LCW_ADMIN_TOKEN="$token" "$lcwd" --data-dir "$data_dir" --listen "$listen" --demo
