#!/usr/bin/env bash
# The container, for real (issue #16): builds the Dockerfile with podman and runs the image, failing loudly when
# anything is missing or wrong. Called by .ci/run; runnable alone as root on a machine like the CI's.
#
#   1. tools: podman, runc, debootstrap (installed when missing); a containers.conf with runc and ulimits within this
#      machine's hard limits (crun rejects these VMs' cgroups; podman's default nofile exceeds their limit);
#   2. the base image (scripts/container-base-image.sh: minbase Debian + this machine's Node), reused when present;
#   3. the image, built with no host but the npm and Debian registries; its size above the base (limit 250 MB);
#   4. on the embedded PGlite with a named volume: runs as non-root, /health, the image's HEALTHCHECK, the three
#      ?wsdl; SIGTERM stops it cleanly in time; data written while it was stopped and its CA survive a restart;
#   5. on this machine's PostgreSQL (DATABASE_URL, host network, a database of its own): /health, ?wsdl, the database
#      records the root it serves; a replica sharing the DATA_DIR volume serves the same CA; a replica with a volume
#      of its own (its own development CA) is refused with the message saying what to do; SIGTERM stops both.
# Containers, volumes and the database it made are removed at the end, whatever happened; the images stay (the base is
# the cache of later runs).
#
# Environment: PGHOST/PGPORT/PGUSER/PGPASSWORD (defaults 127.0.0.1, 5432, postgres), IMAGE (localhost/ehealth-platform:ci),
# IMAGE_SIZE_LIMIT_MB (250), STOP_LIMIT_SECONDS (15), START_LIMIT_SECONDS (90).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/ehealth-platform:ci}
IMAGE_SIZE_LIMIT_MB=${IMAGE_SIZE_LIMIT_MB:-250}
STOP_LIMIT_SECONDS=${STOP_LIMIT_SECONDS:-15}
START_LIMIT_SECONDS=${START_LIMIT_SECONDS:-90}
DATA_DIR_IN_IMAGE=/var/lib/ehealth-platform
run_id="ehealth-ci-$$"
label="ehealth-container-check=$run_id"
database="ehealth_container_check"
started=$(date +%s)
work=$(mktemp -d /tmp/ehealth-container-check.XXXXXX)

phase() { printf '\n--- container check: %s (t+%ss)\n' "$1" "$(($(date +%s) - started))"; }
ok() { printf '  ok: %s\n' "$*"; }
die() {
  printf '\nFATAL (container check): %s\n' "$*" >&2
  exit 1
}
# Prints a container's logs (podman's own complaints about systemd timers of health checks filtered out).
logs_of() { podman logs "$1" 2>&1 | grep -v 'unable to get systemd connection' | tail -n "${2:-40}" >&2 || true; }
# podman's stderr goes to a file: without systemd it complains about health-check timers on every start and stop.
pm() { podman "$@" 2>>"$work/podman.stderr"; }
# How many lines of a container's logs match an extended regular expression (read whole: no SIGPIPE under pipefail).
log_count() {
  podman logs "$1" >"$work/logs.txt" 2>&1 || true
  grep -c -E -- "$2" "$work/logs.txt" || true
}

cleanup() {
  local status=$?
  set +e
  podman ps -a -q --filter "label=$label" | xargs -r podman rm -f -t 2 >/dev/null 2>&1
  podman volume ls -q --filter "label=$label" | xargs -r podman volume rm -f >/dev/null 2>&1
  if [ -n "${database_created:-}" ]; then
    psql -w -d postgres -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || echo "warning: could not drop database $database" >&2
  fi
  if [ "$status" -ne 0 ] && [ -s "$work/podman.stderr" ]; then
    echo "podman's stderr (last lines):" >&2
    grep -v 'unable to get systemd connection' "$work/podman.stderr" | tail -n 20 >&2
  fi
  rm -rf "$work"
  printf 'container check: %s in %ss\n' "$([ "$status" -eq 0 ] && echo passed || echo FAILED)" "$(($(date +%s) - started))"
  exit "$status"
}
trap cleanup EXIT

free_port() { node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

# Waits until $2 answers /health with 200; fails with the container's logs when it exits or takes too long.
wait_healthy() {
  local container=$1 base=$2 t0 elapsed
  t0=$(date +%s)
  while :; do
    if curl -fsS -o /dev/null --max-time 2 "$base/health" 2>/dev/null; then
      ok "$container answers /health after $(($(date +%s) - t0)) s"
      return 0
    fi
    if [ "$(podman inspect --format '{{.State.Running}}' "$container" 2>/dev/null)" != "true" ]; then
      logs_of "$container"
      die "$container exited before answering /health (exit code $(podman inspect --format '{{.State.ExitCode}}' "$container" 2>/dev/null))"
    fi
    elapsed=$(($(date +%s) - t0))
    if [ "$elapsed" -ge "$START_LIMIT_SECONDS" ]; then
      logs_of "$container"
      die "$container did not answer $base/health within ${START_LIMIT_SECONDS} s"
    fi
    sleep 0.5
  done
}

check_wsdl() {
  local base=$1 service file
  for service in CertRa/v2 EtkRa/v2 EtkDepot/v1; do
    file="$work/wsdl.xml"
    curl -fsS --max-time 10 -o "$file" "$base/$service?wsdl" || die "GET $base/$service?wsdl failed"
    grep -q 'definitions' "$file" || die "$base/$service?wsdl is not a WSDL: $(head -c 200 "$file")"
    xmllint --noout "$file" || die "$base/$service?wsdl is not well-formed XML"
  done
  ok "?wsdl of CertRa/v2, EtkRa/v2 and EtkDepot/v1 (well-formed WSDL)"
}

# SHA-256 fingerprint of a DER certificate served at $1.
fingerprint() {
  curl -fsS --max-time 10 "$1" | openssl x509 -inform DER -noout -fingerprint -sha256 | cut -d= -f2 | tr -d ':' | tr 'A-F' 'a-f' ||
    die "cannot read the certificate at $1"
}

check_non_root() {
  local container=$1 uid pid1_uid user
  user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
  case "$user" in "" | root | 0 | 0:*) die "the image runs as root (USER '${user}')" ;; esac
  uid=$(pm exec "$container" id -u) || die "cannot run id in $container"
  pid1_uid=$(pm exec "$container" sh -c 'sed -n "s/^Uid:[[:space:]]*\([0-9]*\).*/\1/p" /proc/1/status') || die "cannot read the uid of $container's process"
  [ "$uid" != 0 ] && [ "$pid1_uid" != 0 ] || die "$container runs as root (exec uid $uid, server uid $pid1_uid)"
  ok "runs as non-root: USER $user, server process uid $pid1_uid"
}

# Stops a container with SIGTERM (the image's STOPSIGNAL; podman would SIGKILL only after 30 s) and checks that the
# server drained and exited 0 within STOP_LIMIT_SECONDS.
stop_cleanly() {
  local container=$1 t0 t1 code ms stops
  stops=$(log_count "$container" '"msg":"stopped"')
  [ "$(podman image inspect --format '{{.Config.StopSignal}}' "$IMAGE")" = "SIGTERM" ] || die "the image's STOPSIGNAL is not SIGTERM"
  t0=$(date +%s%N)
  pm stop -t 30 "$container" >/dev/null || die "podman stop $container failed"
  t1=$(date +%s%N)
  ms=$(((t1 - t0) / 1000000))
  code=$(podman inspect --format '{{.State.ExitCode}}' "$container")
  if [ "$code" != 0 ]; then
    logs_of "$container"
    die "$container exited with code $code on SIGTERM (137 = killed after the grace period)"
  fi
  [ "$ms" -le $((STOP_LIMIT_SECONDS * 1000)) ] || die "$container took ${ms} ms to stop on SIGTERM (limit ${STOP_LIMIT_SECONDS} s)"
  [ "$(log_count "$container" '"msg":"stopped"')" -gt "$stops" ] || {
    logs_of "$container"
    die "$container did not log its orderly stop"
  }
  ok "$container stopped on SIGTERM in ${ms} ms, exit code 0, after draining"
}

# The admin CLI in a one-off container on the same volume (the server must be stopped: PGlite is one process's).
admin() {
  local volume=$1
  shift
  pm run --rm --no-healthcheck --label "$label" -v "$volume:$DATA_DIR_IN_IMAGE" "$IMAGE" node dist/src/cli/admin.js "$@"
}

###############################################################################################################
phase "tools"
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v fuse-overlayfs >/dev/null || missing+=(fuse-overlayfs)
command -v slirp4netns >/dev/null || missing+=(slirp4netns)
command -v newuidmap >/dev/null || missing+=(uidmap)
command -v xmllint >/dev/null || missing+=(libxml2-utils)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
command -v psql >/dev/null || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "need root to install ${missing[*]}"
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ "$(id -u)" -eq 0 ] || die "run as root: the base image is made with debootstrap, and the check uses rootful podman"
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
[ "$nofile" = unlimited ] && nofile=1048576
[ "$nproc" = unlimited ] && nproc=1048576
nofile=$((nofile < 65536 ? nofile : 65536))
nproc=$((nproc < 32768 ? nproc : 32768))
cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]

[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF="$work/containers.conf"
echo "  podman $(podman --version | awk '{print $3}'), runtime runc, ulimits nofile=$nofile nproc=$nproc"

# What an earlier run that was killed left behind (its process is gone).
for kind in container volume; do
  if [ "$kind" = container ]; then listing=$(podman ps -a --filter label=ehealth-container-check --format '{{.ID}} {{index .Labels "ehealth-container-check"}}'); else
    listing=$(podman volume ls --filter label=ehealth-container-check --format '{{.Name}} {{index .Labels "ehealth-container-check"}}')
  fi
  while read -r id owner; do
    [ -n "$id" ] || continue
    kill -0 "${owner##*-}" 2>/dev/null && continue
    echo "  removing the $kind $id an earlier run left behind"
    if [ "$kind" = container ]; then podman rm -f -t 2 "$id" >/dev/null 2>&1 || true; else podman volume rm -f "$id" >/dev/null 2>&1 || true; fi
  done <<<"$listing"
done

###############################################################################################################
phase "base image"
base=$(bash scripts/container-base-image.sh) || die "the base image could not be built"
podman image exists "$base" || die "the base image $base is missing after its build"
ok "$base"

###############################################################################################################
phase "image build"
t0=$(date +%s)
# --format docker keeps HEALTHCHECK (the OCI format drops it).
if ! podman build --format docker --pull=never --build-arg "BASE=$base" --label "org.opencontainers.image.revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)" -t "$IMAGE" . >"$work/build.log" 2>&1; then
  tail -n 60 "$work/build.log" >&2
  die "podman build failed"
fi
# node-gyp downloading headers, node-pre-gyp fetching a prebuilt binary, or any failed name look-up.
{ grep -E -i 'gyp.*(http GET|download)|ENOTFOUND|EAI_AGAIN|getaddrinfo' "$work/build.log" || true; } >"$work/off-registry.txt"
if [ -s "$work/off-registry.txt" ]; then
  head -n 5 "$work/off-registry.txt" >&2
  die "the build tried to reach a host other than the npm and Debian registries"
fi
ok "built $IMAGE in $(($(date +%s) - t0)) s"
[ -n "$(podman image inspect --format '{{.Config.Healthcheck}}' "$IMAGE")" ] || die "the image has no HEALTHCHECK"
base_size=$(podman image inspect --format '{{.Size}}' "$base")
image_size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
above_mb=$(((image_size - base_size) / 1000000))
printf '  image size: %s MB (base %s MB + %s MB above the base; limit %s MB above)\n' \
  "$((image_size / 1000000))" "$((base_size / 1000000))" "$above_mb" "$IMAGE_SIZE_LIMIT_MB"
[ "$above_mb" -lt "$IMAGE_SIZE_LIMIT_MB" ] || die "the image is ${above_mb} MB above its base (limit ${IMAGE_SIZE_LIMIT_MB} MB)"
# Images the tag left behind more than a day ago (the latest build stage stays: it is the next build's cache).
podman image prune -f --filter until=24h >/dev/null 2>&1 || true

###############################################################################################################
phase "embedded PGlite on a named volume"
volume="$run_id-data"
pm volume create --label "$label" "$volume" >/dev/null
port=$(free_port)
base_url="http://127.0.0.1:$port"
container="$run_id-pglite"
pm run -d --name "$container" --label "$label" -v "$volume:$DATA_DIR_IN_IMAGE" -p "127.0.0.1:$port:8080" "$IMAGE" >/dev/null ||
  die "podman run failed"
wait_healthy "$container" "$base_url"
check_non_root "$container"
pm healthcheck run "$container" >/dev/null || die "the image's HEALTHCHECK fails in $container"
ok "the image's HEALTHCHECK passes"
check_wsdl "$base_url"
root_before=$(fingerprint "$base_url/ca/root-ca.crt")
issuing_before=$(fingerprint "$base_url/ca/issuing-ca.crt")
ok "serves its CA: issuing SHA-256 $issuing_before"
stop_cleanly "$container"
marker="container-check-$run_id"
admin "$volume" certra:test-case:add --type SSIN --id 85073003328 --responsible-ssin 85073003328 --description "$marker" >/dev/null ||
  die "the admin CLI could not write to the stopped service's volume"
pm start "$container" >/dev/null || die "podman start $container failed"
wait_healthy "$container" "$base_url"
root_after=$(fingerprint "$base_url/ca/root-ca.crt")
issuing_after=$(fingerprint "$base_url/ca/issuing-ca.crt")
[ "$issuing_after" = "$issuing_before" ] && [ "$root_after" = "$root_before" ] ||
  die "the CA changed across a restart on the same volume (issuing $issuing_before → $issuing_after)"
ok "after a restart: the same CA (issuing SHA-256 $issuing_after)"
stop_cleanly "$container"
listed=$(admin "$volume" certra:test-case:list --json) || die "the admin CLI could not read the stopped service's volume"
[[ "$listed" == *"\"$marker\""* ]] || die "the data written before the restart is gone"
ok "after a restart: the data written before it is still there"

###############################################################################################################
phase "PostgreSQL through DATABASE_URL"
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
pg_isready -q -h "$PGHOST" -p "$PGPORT" || die "PostgreSQL is not running on $PGHOST:$PGPORT"
PGOPTIONS="-c client_min_messages=warning" psql -w -d postgres -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null || die "cannot connect to PostgreSQL as $PGUSER"
psql -w -d postgres -qc "CREATE DATABASE $database" >/dev/null || die "cannot create database $database"
database_created=1
database_url="postgres://${PGUSER}${PGPASSWORD:+:$PGPASSWORD}@${PGHOST}:${PGPORT}/${database}"
# Host networking: the container reaches the machine's PostgreSQL on its loopback, and listens on ports of its own
# (the service's, and for the admin listener any free one: two replicas share the host's ports).
run_pg() {
  local name=$1 volume=$2 port=$3
  pm run -d --name "$name" --label "$label" --network host -v "$volume:$DATA_DIR_IN_IMAGE" \
    -e "DATABASE_URL=$database_url" -e "PORT=$port" -e HOST=127.0.0.1 -e ADMIN_PORT=0 -e CA_PUBLICATION_URL=http://pki.example "$IMAGE" >/dev/null ||
    die "podman run $name failed"
}
pg_volume="$run_id-pg-a"
pm volume create --label "$label" "$pg_volume" >/dev/null
port_a=$(free_port)
replica_a="$run_id-pg-a"
run_pg "$replica_a" "$pg_volume" "$port_a"
wait_healthy "$replica_a" "http://127.0.0.1:$port_a"
[ "$(log_count "$replica_a" 'database: PostgreSQL')" -gt 0 ] || die "$replica_a does not say it uses PostgreSQL"
check_wsdl "http://127.0.0.1:$port_a"
root_a=$(fingerprint "http://127.0.0.1:$port_a/ca/root-ca.crt")
issuing_a=$(fingerprint "http://127.0.0.1:$port_a/ca/issuing-ca.crt")
recorded=$(psql -w -d "$database" -tAc 'SELECT root_sha256 FROM ca_identity') || die "no ca_identity in $database"
[ "$recorded" = "$root_a" ] || die "$database records root $recorded, the container serves $root_a"
ok "$database (migrated by the container) records the root it serves"

# A second replica on the same DATA_DIR volume: the same development CA.
port_b=$(free_port)
replica_b="$run_id-pg-b"
run_pg "$replica_b" "$pg_volume" "$port_b"
wait_healthy "$replica_b" "http://127.0.0.1:$port_b"
[ "$(fingerprint "http://127.0.0.1:$port_b/ca/issuing-ca.crt")" = "$issuing_a" ] || die "two replicas on one volume serve different CAs"
ok "a replica sharing the DATA_DIR volume serves the same CA"

# A replica with a DATA_DIR of its own would generate another development CA: refused, saying what to do.
other_volume="$run_id-pg-c"
pm volume create --label "$label" "$other_volume" >/dev/null
replica_c="$run_id-pg-c"
run_pg "$replica_c" "$other_volume" "$(free_port)"
code=$(timeout "$START_LIMIT_SECONDS" podman wait "$replica_c" 2>>"$work/podman.stderr") || {
  logs_of "$replica_c"
  die "a replica with a development CA of its own was not refused within ${START_LIMIT_SECONDS} s"
}
[ "$code" != 0 ] || die "a replica with a development CA of its own exited 0"
[ "$(log_count "$replica_c" 'this database belongs to another CA hierarchy.*Replicas must share one CA')" -gt 0 ] || {
  logs_of "$replica_c"
  die "the refused replica did not say why"
}
[ "$(psql -w -d "$database" -tAc 'SELECT root_sha256 FROM ca_identity')" = "$root_a" ] || die "the refused replica changed the recorded root"
ok "a replica with a development CA of its own is refused (exit $code): \"$(grep -o -m 1 'failed to start: [^(]*' "$work/logs.txt")…\""
stop_cleanly "$replica_b"
stop_cleanly "$replica_a"

phase "done"
