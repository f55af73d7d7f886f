#!/usr/bin/env bash
# Starts Debian's PostgreSQL on 127.0.0.1:5432 with trust auth and a database `test`
# (what these machines provide already; used only where none answers).
set -euo pipefail
version=$(ls /etc/postgresql | sort -V | tail -1)
conf=/etc/postgresql/$version/main
if ! grep -q "saferank-trust" "$conf/pg_hba.conf"; then
  sed -i '1i # saferank-trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$conf/pg_hba.conf"
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster --skip-systemctl-redirect "$version" main restart
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test"
