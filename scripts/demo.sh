#!/usr/bin/env bash
# `make demo`: an embedded SQLite database with a realistic demo county, the sync server on
# HOST:PORT, and — where a display exists — the phone app pointed at it.
set -euo pipefail
HOST=${1:-127.0.0.1}; PORT=${2:-5000}; DB=${3:-instance/demo.sqlite3}
PY=.venv/bin/python
mkdir -p -m 700 "$(dirname "$DB")"
export DATABASE_URL="sqlite:///$(realpath -m "$DB")"
export SECRET_KEY=${SECRET_KEY:-demo-secret-key-change-me}
if [ ! -s "$DB" ]; then
  $PY -m sync_server init-db
  $PY -m sync_server seed-demo
else
  $PY -m sync_server init-db
  echo "Using the existing demo database $DB (delete it to reseed)."
  $PY -m sync_server seed-demo --print-logins
fi
URL="http://$HOST:$PORT"
echo
echo "Tianye sync server: $URL   (console: $URL/console/  API: $URL/api/v1  OpenAPI: $URL/api/docs)"
APP_PID=
if [ -n "${DISPLAY:-}" ] && [ -z "${TIANYE_NO_APP:-}" ]; then
  echo "A display is present: opening the phone app against $URL"
  TIANYE_SERVER_URL="$URL" $PY -m mobile_app &
  APP_PID=$!
fi
trap '[ -n "$APP_PID" ] && kill $APP_PID 2>/dev/null || true' EXIT
exec_args=(serve --host "$HOST" --port "$PORT" --workers "${WORKERS:-2}")
$PY -m sync_server "${exec_args[@]}"
