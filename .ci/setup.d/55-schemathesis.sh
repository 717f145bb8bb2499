# Schemathesis (PyPI, 4.x) in its own venv: the serve-api conformance test fuzzes the running
# API against its OpenAPI document. Its own venv because its pins (hypothesis, jsonschema, …)
# have nothing to do with the onnx/mlflow tools venv.
PLANTID_TOOLS="${PLANTID_TOOLS:-$HOME/.cache/plantid-tools}"
PLANTID_SCHEMATHESIS_VENV="$PLANTID_TOOLS/schemathesis-venv"
if [ ! -x "$PLANTID_SCHEMATHESIS_VENV/bin/python" ]; then
  python3 -m venv "$PLANTID_SCHEMATHESIS_VENV"
fi
if ! "$PLANTID_SCHEMATHESIS_VENV/bin/st" --version 2>/dev/null | grep -q ' 4\.'; then
  "$PLANTID_SCHEMATHESIS_VENV/bin/python" -m pip install --quiet 'schemathesis>=4.1,<5'
fi
# Tests find the binary through this variable (falling back to the same default path).
export PLANTID_SCHEMATHESIS="$PLANTID_SCHEMATHESIS_VENV/bin/st"
echo "schemathesis: $("$PLANTID_SCHEMATHESIS" --version)"
