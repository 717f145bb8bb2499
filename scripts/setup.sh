# Sets up a fresh checkout for running the pipeline: Node 24 + pnpm (via .ci/setup.d/10-node.sh)
# and the workspace's packages. Source it (`source scripts/setup.sh`) so node and pnpm stay on PATH.
# Safe to source: it never exits your shell, it returns non-zero on failure.
plantid_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
( cd "$plantid_root" && . .ci/setup.d/10-node.sh >/dev/null ) || return 1 2>/dev/null || exit 1
PLANTID_TOOLS="${PLANTID_TOOLS:-$HOME/.cache/plantid-tools}"
export PATH="$PLANTID_TOOLS/node_modules/.bin:$PLANTID_TOOLS/bin:$PATH"
( cd "$plantid_root" && pnpm install --frozen-lockfile --reporter=silent ) || return 1 2>/dev/null || exit 1
echo "plantid: node $(node --version), pnpm $(pnpm --version); ready"
