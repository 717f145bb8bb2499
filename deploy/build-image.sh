#!/usr/bin/env bash
# Builds the API image from deploy/Dockerfile: `deploy/build-image.sh [TAG]` (default plantid-api:dev).
#   CONTAINER_ENGINE   docker or podman (default: podman when installed, else docker)
#   PLANTID_BASE_IMAGE a Debian bookworm image WITHOUT Node, e.g. localhost/debian:bookworm-slim (the
#                      base .ci/setup.d/65-podman.sh makes, since no image can be pulled there): Node and
#                      pnpm then come from this machine (the npm `node@24` package's binary, pnpm's own
#                      package) and the packages from this machine's pnpm store, so the build needs no
#                      network. Unset: the Dockerfile's default base, node:24-bookworm-slim.
# Extra arguments after TAG go to the engine's build command.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-plantid-api:dev}
shift || true
engine=${CONTAINER_ENGINE:-$(command -v podman >/dev/null && echo podman || echo docker)}
args=(build -f deploy/Dockerfile -t "$tag")
# podman writes OCI images by default, which drop HEALTHCHECK: ask for the Docker format.
[ "$engine" = podman ] && args+=(--format docker --ignorefile deploy/Dockerfile.dockerignore)
if [ -n "${PLANTID_BASE_IMAGE:-}" ]; then
  toolchain=$(mktemp -d)
  trap 'rm -rf "$toolchain"' EXIT
  mkdir -p "$toolchain/bin"
  node_bin=$(node -p 'process.execPath')
  cp "$node_bin" "$toolchain/bin/node"
  pnpm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v pnpm)")")")
  [ -f "$pnpm_dir/bin/pnpm.cjs" ] || { echo "build-image: pnpm's package not found at $pnpm_dir" >&2; exit 2; }
  cp -r "$pnpm_dir" "$toolchain/pnpm"
  args+=(--build-arg "BASE=$PLANTID_BASE_IMAGE" --build-arg TOOLCHAIN=context
    --build-context "toolchain=$toolchain" --build-context "pnpm-store=$(dirname "$(pnpm store path)")")
  args+=(--build-arg SEED=1)
fi
"$engine" "${args[@]}" "$@" .
