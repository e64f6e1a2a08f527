#!/usr/bin/env bash
# A throwaway PostgreSQL hot standby of the local primary (cluster "<version> main" on 127.0.0.1:5432), for the
# replica suite (npm run test:replica). Debian's postgresql-common tools; run as root (or as postgres).
#
#   scripts/replica-cluster.sh up     create cluster "<version> replica" on REPLICA_PORT (default 5433) as a streaming
#                                     standby of the primary (pg_basebackup -R -X stream), start it, wait until it is in
#                                     recovery and has replayed the primary's current WAL; prints TEST_DATABASE_READ_URL
#   scripts/replica-cluster.sh down   stops and removes that cluster (also a stale one left by an interrupted run)
#
# What `up` may change on the primary, and says so when it does: a `host replication postgres 127.0.0.1/32` line in its
# pg_hba.conf (same method as its `host all all 127.0.0.1/32` line) + reload; wal_level / max_wal_senders through
# ALTER SYSTEM + restart, only if they do not allow streaming (PostgreSQL's defaults do). `down` leaves both in place.
# Connection: PGHOST/PGPORT/PGUSER/PGPASSWORD as for the other suites (default 127.0.0.1:5432, user postgres).
set -euo pipefail

primary_host=${PGHOST:-127.0.0.1}
primary_port=${PGPORT:-5432}
primary_user=${PGUSER:-postgres}
replica_port=${REPLICA_PORT:-5433}
cluster_name=replica

psql_primary() { psql -w -X -h "$primary_host" -p "$primary_port" -U "$primary_user" -d postgres -tAc "$1"; }
psql_replica() { psql -w -X -h 127.0.0.1 -p "$replica_port" -U "$primary_user" -d postgres -tAc "$1"; }
as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }

if [ "$(id -u)" -ne 0 ] && [ "$(id -un)" != postgres ]; then
  echo "FATAL: $0 runs pg_createcluster/pg_basebackup: run it as root or as postgres" >&2
  exit 1
fi
for tool in pg_createcluster pg_dropcluster pg_ctlcluster pg_lsclusters psql; do
  command -v "$tool" >/dev/null || { echo "FATAL: $tool not found (Debian postgresql-common)" >&2; exit 1; }
done

version=$(psql_primary 'SHOW server_version_num')
version=$((version / 10000))
pg_bin=/usr/lib/postgresql/$version/bin

down() {
  if pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$version $cluster_name"; then
    pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster_name" stop -m immediate >/dev/null 2>&1 || true
    pg_dropcluster "$version" "$cluster_name"
    echo "replica cluster $version/$cluster_name removed"
  fi
}

up() {
  down
  # Streaming needs wal_level replica (or logical) and WAL senders on the primary.
  local wal_level senders
  wal_level=$(psql_primary 'SHOW wal_level')
  senders=$(psql_primary 'SHOW max_wal_senders')
  if [ "$wal_level" = minimal ] || [ "$senders" -lt 2 ]; then
    echo "primary: wal_level=$wal_level max_wal_senders=$senders do not allow streaming: ALTER SYSTEM wal_level=replica, max_wal_senders=10 and restart"
    psql_primary "ALTER SYSTEM SET wal_level = 'replica'" >/dev/null
    psql_primary 'ALTER SYSTEM SET max_wal_senders = 10' >/dev/null
    pg_ctlcluster --skip-systemctl-redirect "$version" main restart
    for _ in $(seq 1 30); do pg_isready -q -h "$primary_host" -p "$primary_port" && break; sleep 1; done
  fi
  # A replication connection for the base backup and the WAL stream, authenticated like ordinary local TCP connections.
  if ! psql -w -X "host=$primary_host port=$primary_port user=$primary_user replication=true" -c 'IDENTIFY_SYSTEM' >/dev/null 2>&1; then
    local hba method
    hba=$(psql_primary 'SHOW hba_file')
    method=$(psql_primary "SELECT auth_method FROM pg_hba_file_rules WHERE type = 'host' AND 'all' = ANY(database) AND address = '127.0.0.1' ORDER BY line_number LIMIT 1")
    method=${method:-scram-sha-256}
    echo "primary: adding 'host replication $primary_user 127.0.0.1/32 $method' to $hba and reloading"
    printf '# added by scripts/replica-cluster.sh (streaming standby for the replica suite)\nhost replication %s 127.0.0.1/32 %s\n' "$primary_user" "$method" >>"$hba"
    psql_primary 'SELECT pg_reload_conf()' >/dev/null
    psql -w -X "host=$primary_host port=$primary_port user=$primary_user replication=true" -c 'IDENTIFY_SYSTEM' >/dev/null
  fi

  pg_createcluster "$version" "$cluster_name" -p "$replica_port" >/dev/null
  local data_dir config_dir
  data_dir=$(pg_lsclusters -h | awk -v v="$version" -v n="$cluster_name" '$1 == v && $2 == n {print $6}')
  config_dir=/etc/postgresql/$version/$cluster_name
  # The standby authenticates clients as the primary does (the suites connect as postgres over TCP).
  cp "$(psql_primary 'SHOW hba_file')" "$config_dir/pg_hba.conf"
  find "$data_dir" -mindepth 1 -delete
  # -R: standby.signal + primary_conninfo; -X stream: the WAL of the backup's duration comes along.
  as_postgres env PGPASSWORD="${PGPASSWORD:-}" "$pg_bin/pg_basebackup" -h "$primary_host" -p "$primary_port" -U "$primary_user" -w \
    -D "$data_dir" -R -X stream --checkpoint=fast
  pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster_name" start

  for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p "$replica_port" && break; sleep 0.5; done
  [ "$(psql_replica 'SELECT pg_is_in_recovery()')" = t ] || { echo "FATAL: the new cluster is not in recovery" >&2; exit 1; }
  local target
  target=$(psql_primary 'SELECT pg_current_wal_insert_lsn()')
  for _ in $(seq 1 120); do
    [ "$(psql_replica "SELECT pg_last_wal_replay_lsn() >= '$target'::pg_lsn")" = t ] && break
    sleep 0.5
  done
  [ "$(psql_replica "SELECT pg_last_wal_replay_lsn() >= '$target'::pg_lsn")" = t ] || {
    echo "FATAL: the standby did not replay up to $target within 60 s" >&2
    exit 1
  }
  [ "$(psql_primary "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" -ge 1 ] || {
    echo "FATAL: the primary sees no streaming standby" >&2
    exit 1
  }
  echo "replica cluster $version/$cluster_name streaming on 127.0.0.1:$replica_port (replayed $target)"
  if [ -n "${PGPASSWORD:-}" ]; then
    echo "TEST_DATABASE_READ_URL=postgres://$primary_user:***@127.0.0.1:$replica_port/test"
  else
    echo "TEST_DATABASE_READ_URL=postgres://$primary_user@127.0.0.1:$replica_port/test"
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
