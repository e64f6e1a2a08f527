#!/usr/bin/env bash
# Builds the base image the Dockerfile's BASE argument names when no registry of images is reachable (these CI
# machines reach only the npm and Debian registries): a minbase Debian bookworm rootfs with this machine's Node (the
# official node image's layout: /usr/local/bin/node, npm in /usr/local/lib/node_modules, headers in
# /usr/local/include/node), imported into podman. See ../shared/docs/container-build.md for why.
#
#   scripts/container-base-image.sh            build the image unless it is already present; print its name
#   scripts/container-base-image.sh --rebuild  build it again
#
# The image is named after the Node version and this recipe's version, so a new Node or a changed recipe builds a new
# one and an unchanged one is reused between runs. Needs root, debootstrap and podman.
set -euo pipefail

RECIPE=1 # bump when the rootfs below changes
node_version=$(node -p 'process.versions.node')
image="localhost/ehealth-node-base:${node_version}-r${RECIPE}"
rebuild=false
[ "${1:-}" = "--rebuild" ] && rebuild=true

log() { printf '[base image] %s\n' "$*" >&2; }
die() { printf '[base image] FATAL: %s\n' "$*" >&2; exit 1; }

if ! $rebuild && podman image exists "$image"; then
  log "reusing $image"
  echo "$image"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
node_bin=$(readlink -f "$(command -v node)")
node_prefix=$(dirname "$(dirname "$node_bin")")
headers="$node_prefix/include/node"
npm_dir="$node_prefix/lib/node_modules/npm"
[ -f "$headers/node_version.h" ] || die "no Node headers at $headers: native modules (libxmljs, pkcs11js) build against them"
grep -q "define NODE_MAJOR_VERSION ${node_version%%.*}\$" "$headers/node_version.h" || die "the headers at $headers are not Node ${node_version}'s"
[ -f "$npm_dir/bin/npm-cli.js" ] || die "no npm at $npm_dir"
ca_bundle=/etc/ssl/certs/ca-certificates.crt
[ -f "$ca_bundle" ] || die "no CA bundle at $ca_bundle"

# The Debian mirror this machine uses (the only one reachable).
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -n 1 || true)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(http[^ ]*\) .*/\1/p' /etc/apt/sources.list 2>/dev/null | grep -v security | head -n 1 || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

work=$(mktemp -d /var/tmp/ehealth-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
started=$(date +%s)
log "debootstrap --variant=minbase bookworm from $mirror"
if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 30 "$work/debootstrap.log" >&2
  die "debootstrap failed"
fi
log "debootstrap took $(($(date +%s) - started)) s"

# Node as the official image lays it out, so the Dockerfile treats both bases alike.
install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules" "$rootfs/usr/local/include"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
cp -a "$headers" "$rootfs/usr/local/include/node"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
# Outbound HTTPS (the npm registry) goes through this machine's intercepting proxy: trust what the machine trusts.
install -D -m 0644 "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
# What a container needs no copy of.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
  "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/debootstrap
chroot "$rootfs" /usr/local/bin/node -e 'process.exit(0)' || die "the copied node does not run in the rootfs"

tar -C "$rootfs" --numeric-owner -c . |
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change "ENV NODE_VERSION=${node_version}" \
    --change "LABEL org.opencontainers.image.description=\"Debian bookworm minbase with Node ${node_version} (ehealth platform CI base, recipe ${RECIPE})\"" \
    --change 'CMD ["node"]' \
    - "$image" >/dev/null
log "built $image in $(($(date +%s) - started)) s ($(podman image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
echo "$image"
