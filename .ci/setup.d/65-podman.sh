# Containers without an engine or a registry: Debian podman + buildah + runc, and the base image
# localhost/debian:bookworm-slim made by debootstrap (no image can be pulled here). Podman runs as
# root with runc (crun fails on this cgroup v1 setup) and explicit ulimits, through the
# CONTAINERS_CONF file written below; tests and .ci/run use podman with this variable set.
# shellcheck source=../lib/apt.sh
. .ci/lib/apt.sh
PLANTID_TOOLS="${PLANTID_TOOLS:-$HOME/.cache/plantid-tools}"
# iptables: netavark needs it to publish ports (-p), and fails with "No such file or directory" without.
plantid_apt_install podman buildah runc debootstrap netavark aardvark-dns iptables

mkdir -p "$PLANTID_TOOLS"
export CONTAINERS_CONF="$PLANTID_TOOLS/containers.conf"
cat >"$CONTAINERS_CONF.tmp" <<'CONF'
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
CONF
mv "$CONTAINERS_CONF.tmp" "$CONTAINERS_CONF"

# The Debian mirror apt already uses for bookworm (deb822 .sources stanzas, then one-line .list entries).
plantid_bookworm_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && awk 'BEGIN { RS = "" }
      /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t\n]|$)/ && /(^|\n)Types:[^\n]*deb([ \t\n]|$)/ &&
      match($0, /(^|\n)URIs:[ \t]*[^ \t\n]+/) { s = substr($0, RSTART, RLENGTH); sub(/.*URIs:[ \t]*/, "", s); print s }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && sed -E 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && $3 == "bookworm" { print $2 }'
  done
  return 0
}

export PLANTID_BASE_IMAGE=localhost/debian:bookworm-slim
if ! podman image exists "$PLANTID_BASE_IMAGE"; then
  # The rootfs tarball outlives podman's storage, so a wiped store re-imports in seconds.
  rootfs_tar="$PLANTID_TOOLS/debian-bookworm-minbase.tar"
  if [ ! -s "$rootfs_tar" ]; then
    mirror=$(plantid_bookworm_mirror)
    mirror=${mirror%%$'\n'*}
    [ -n "$mirror" ] || { echo "65-podman: no Debian bookworm mirror in /etc/apt/sources.list(.d); add one" >&2; return 1; }
    rootfs=$(mktemp -d)
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$PLANTID_TOOLS/debootstrap.log" 2>&1 ||
      { tail -5 "$PLANTID_TOOLS/debootstrap.log" >&2; rm -rf "$rootfs"; return 1; }
    # Like the official slim image: no downloaded .debs or package lists inside.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
    rm -rf "$rootfs"
  fi
  podman import --quiet - "$PLANTID_BASE_IMAGE" <"$rootfs_tar" >/dev/null
fi

# Verify the runtime and port publishing: a one-shot HTTP answer from perl (in minbase) on 8080. It reads
# the request headers before answering: closing on unread bytes would reset the connection.
podman run --rm "$PLANTID_BASE_IMAGE" true
probe_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
probe=$(podman run -d --rm -p "127.0.0.1:$probe_port:8080" "$PLANTID_BASE_IMAGE" perl -MIO::Socket::INET -e '
  $s = IO::Socket::INET->new(LocalPort => 8080, Listen => 1, ReuseAddr => 1) or die $!;
  $c = $s->accept; while (defined($l = $c->getline) && $l ne "\r\n") {}
  $c->print("HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\npublished\n"); $c->close')
probe_answer=""
for _ in $(seq 50); do
  probe_answer=$(curl -s -m 5 "http://127.0.0.1:$probe_port/" 2>/dev/null) && break
  sleep 0.2
done
podman rm -f "$probe" >/dev/null 2>&1 || true
[ "$probe_answer" = published ] || { echo "65-podman: -p 127.0.0.1:$probe_port:8080 did not publish (got '$probe_answer')" >&2; return 1; }
echo "podman $(podman --version | awk '{print $3}') (runc $(runc --version | awk 'NR == 1 {print $3}'), buildah $(buildah --version | awk '{print $3}')), $PLANTID_BASE_IMAGE $(podman image inspect --format '{{.Size}}' "$PLANTID_BASE_IMAGE" | awk '{printf "%.0f MB", $1 / 1e6}'), -p publishing ok"
