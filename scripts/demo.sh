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
WEED_PID=
if [ -n "${TIANYE_DEMO_S3:-}" ]; then
  # attachments in a local SeaweedFS (S3) instead of instance/attachments (docs/attachments.md)
  mkdir -p instance/seaweedfs
  $PY -m tests.seaweedfs instance/seaweedfs > instance/seaweedfs/endpoint.txt &
  WEED_PID=$!
  for _ in $(seq 1 120); do [ -s instance/seaweedfs/endpoint.txt ] && break; sleep 0.5; done
  export ATTACHMENTS_S3_ENDPOINT=$(head -n1 instance/seaweedfs/endpoint.txt)
  export ATTACHMENTS_S3_BUCKET=${ATTACHMENTS_S3_BUCKET:-tianye-demo}
  export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-tianye} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-tianye-secret}
  [ -n "$ATTACHMENTS_S3_ENDPOINT" ] || { echo "SeaweedFS did not start (instance/seaweedfs/weed.log)"; exit 1; }
  echo "Attachments in SeaweedFS (S3) at $ATTACHMENTS_S3_ENDPOINT, bucket $ATTACHMENTS_S3_BUCKET"
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
trap '[ -n "$APP_PID" ] && kill $APP_PID 2>/dev/null; [ -n "$WEED_PID" ] && kill $WEED_PID 2>/dev/null || true' EXIT
exec_args=(serve --host "$HOST" --port "$PORT" --workers "${WORKERS:-2}")
$PY -m sync_server "${exec_args[@]}"
