# Node 24 (current LTS) from the npm registry's `node` package, and pnpm pinned by package.json.
PLANTID_TOOLS="${PLANTID_TOOLS:-$HOME/.cache/plantid-tools}"
if ! "$PLANTID_TOOLS/node_modules/.bin/node" --version 2>/dev/null | grep -q '^v24\.'; then
  npm install --prefix "$PLANTID_TOOLS" --no-save node@24 >/dev/null
fi
export PATH="$PLANTID_TOOLS/node_modules/.bin:$PLANTID_TOOLS/bin:$PATH"
# The pin is read from this checkout's package.json wherever the script is sourced from
# (sourced from another folder, an empty pin once installed the newest pnpm over the pinned one).
plantid_repo="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/../.." && pwd)"
pnpm_version=$(node -p "require(process.argv[1]).packageManager.split('@')[1]" "$plantid_repo/package.json")
if ! pnpm --version 2>/dev/null | grep -qx "$pnpm_version"; then
  npm install -g --prefix "$PLANTID_TOOLS" "pnpm@$pnpm_version" >/dev/null
fi
echo "node $(node --version), pnpm $(pnpm --version)"
