#!/usr/bin/env bash
# stop-all.sh - stop what start-all.sh started, by its pid files only. --purge also deletes data (installs are kept).
# Env: SERVERS_DIR (required: the directory start-all.sh used).
set -uo pipefail
EMU=${SERVERS_DIR:?set SERVERS_DIR to an absolute scratch directory, e.g. under the target dir}
PGBIN=/usr/lib/postgresql/15/bin

running() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$st" ] && [ "${st:0:1}" != Z ]; }  # zombies count as dead
stop_pid() { # name pidfile
  local name=$1 f=$2 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if running "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
    running "$pid" && kill -KILL "$pid" 2>/dev/null
    echo "stopped $name (pid $pid)"
  fi
  rm -f "$f"
}

for name in s3 s3-auth gcs azure garage; do stop_pid "$name" "$EMU/run/$name.pid"; done
stop_pid sftp "$EMU/run/sshd.pid"
if [ -f "$EMU/pg/data/postmaster.pid" ]; then
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$EMU/pg/data" -m fast -s -w stop && echo "stopped postgres"
fi
if [ "${1:-}" = --purge ]; then
  rm -rf "$EMU/data" "$EMU/pg" "$EMU/garage/meta" "$EMU/garage/data" "$EMU/env.sh"
  echo "purged $EMU/data, $EMU/pg and garage data (installs kept)"
fi
exit 0
