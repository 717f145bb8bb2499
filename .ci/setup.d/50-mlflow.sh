# MLflow (tracking tests start a real `mlflow server`) in the shared tools venv.
# The venv may already exist (the onnx checker's setup script creates it too).
PLANTID_TOOLS="${PLANTID_TOOLS:-$HOME/.cache/plantid-tools}"
PLANTID_VENV="$PLANTID_TOOLS/venv"
if [ ! -x "$PLANTID_VENV/bin/python" ]; then
  python3 -m venv "$PLANTID_VENV"
fi
if ! "$PLANTID_VENV/bin/python" -c 'import mlflow' 2>/dev/null; then
  "$PLANTID_VENV/bin/python" -m pip install --quiet --upgrade pip
  "$PLANTID_VENV/bin/python" -m pip install --quiet 'mlflow>=2.20,<4'
fi
# Tests find the binary through this variable (falling back to the same default path).
export PLANTID_MLFLOW="$PLANTID_VENV/bin/mlflow"
echo "mlflow $("$PLANTID_VENV/bin/python" -c 'import mlflow; print(mlflow.__version__)')"
