#!/usr/bin/env bash
# Builds the CPU image from a locally made Debian 12 base (no registry),
# runs it with host networking on loopback, waits for health SERVING,
# segments a bundled sample with the client from outside the container,
# checks the result, stops the container and removes containers and image
# storage. Daemonless podman with runc/cgroupfs and ulimits that work without
# CAP_SYS_RESOURCE (see the reference notes on offline containers).
#
# Needs: podman buildah runc debootstrap (scripts/install-deps --with-containers)
# and the built lsms-client (BUILD, default build/).
# Env: LSMS_CONTAINER_WORK (default /var/tmp/lsms-containers) keeps the base
# image tarball between runs; CCACHE_DIR (default ~/.cache/ccache) is mounted
# into the build so the image compiles from the same compiler cache.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
client="$build/client/lsms-client"
W=${LSMS_CONTAINER_WORK:-/var/tmp/lsms-containers}
port=${LSMS_CONTAINER_PORT:-50561}
mport=$((port + 1))
name=lsms-ct-$$
image=localhost/lsms-serve:ct-$$
ccache_dir=${CCACHE_DIR:-$HOME/.cache/ccache}
mkdir -p "$W/conf" "$ccache_dir"

cat > "$W/conf/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$W/storage"
runroot = "$W/run"
CONF
cat > "$W/conf/containers.conf" <<CONF
[containers]
netns = "host"
default_ulimits = ["nofile=1024:$(ulimit -Hn)", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$W/events.log"
CONF
printf 'unqualified-search-registries = []\nshort-name-mode = "permissive"\n' > "$W/conf/registries.conf"
export CONTAINERS_STORAGE_CONF=$W/conf/storage.conf CONTAINERS_CONF=$W/conf/containers.conf \
       CONTAINERS_REGISTRIES_CONF=$W/conf/registries.conf

cleanup() {
  podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
  podman system reset -f >/dev/null 2>&1 || true
}
trap cleanup EXIT

# 1. A local debian:bookworm-slim base from the Debian mirror apt already uses.
mirror=$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
         | grep -oE 'https?://[^ ]+' | head -n1 || true)
mirror=${mirror%/}
[ -n "$mirror" ] || { echo "container_test: cannot find the Debian mirror in apt sources" >&2; exit 1; }
if [ ! -s "$W/bookworm.tar" ]; then
  echo "container_test: debootstrap bookworm from $mirror"
  rm -rf "$W/rootfs"
  debootstrap --variant=minbase bookworm "$W/rootfs" "$mirror" >"$W/debootstrap.log" 2>&1
  rm -rf "$W/rootfs"/var/cache/apt/archives/*.deb "$W/rootfs"/var/lib/apt/lists/*
  printf "deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s-security bookworm-security main\n" \
    "$mirror" "$mirror" "$mirror" > "$W/rootfs/etc/apt/sources.list"
  tar -C "$W/rootfs" --numeric-owner -cf "$W/bookworm.tar.tmp" . && mv "$W/bookworm.tar.tmp" "$W/bookworm.tar"
  rm -rf "$W/rootfs"
fi
podman import -q --change 'CMD ["bash"]' "$W/bookworm.tar" localhost/debian:bookworm-slim >/dev/null

# 2. The CPU image, built by the Dockerfile with the project's installer.
start=$(date +%s)
podman build --pull=never --network host --volume "$ccache_dir:/ccache" -t "$image" "$root" > "$W/build.log" 2>&1 \
  || { tail -n 40 "$W/build.log" >&2; exit 1; }
echo "container_test: image built in $(( $(date +%s) - start )) s"

# 3. Run with host networking on loopback ports; wait for SERVING (bounded).
podman run -d --name "$name" --network host "$image" --listen="127.0.0.1:$port" \
  --metrics_listen="127.0.0.1:$mport" >/dev/null
for i in $(seq 1 240); do
  if "$client" health --target "127.0.0.1:$port" --deadline 1s >/dev/null 2>&1; then break; fi
  if [ "$(podman inspect -f '{{.State.Running}}' "$name")" != true ]; then
    podman logs "$name" >&2; echo "container_test: container exited" >&2; exit 1
  fi
  sleep 0.5
  [ "$i" = 240 ] && { podman logs "$name" >&2; echo "container_test: not SERVING after 120 s" >&2; exit 1; }
done

# 4. Segment a bundled sample from outside the container and check the result.
out=$(mktemp -d)
"$client" segment --target "127.0.0.1:$port" --input "$root/samples/images/00000.dcm" \
  --expression "all lesions" --out "$out" --deadline 60s
grep -q '"code": 0' "$out/00000.json"
grep -q '"width": 512' "$out/00000.json"
test -s "$out/00000_mask.png" && test -s "$out/00000_overlay.png"
"$client" info --target "127.0.0.1:$port" | grep -q 'preset: "nano"'
rm -rf "$out"

# 5. Stop (SIGTERM drain) and check the exit code.
podman stop -t 30 "$name" >/dev/null
code=$(podman inspect -f '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || { podman logs "$name" >&2; echo "container_test: exit code $code" >&2; exit 1; }
echo "1 passed, 0 failed"
