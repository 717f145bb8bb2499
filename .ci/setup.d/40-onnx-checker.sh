# The official ONNX checker (python `onnx` from PyPI) in the shared tools venv: engine and
# export tests validate every .onnx they produce with onnx.checker.check_model(full_check=True).
PLANTID_TOOLS="${PLANTID_TOOLS:-$HOME/.cache/plantid-tools}"
if [ ! -x "$PLANTID_TOOLS/venv/bin/python" ]; then
  python3 -m venv "$PLANTID_TOOLS/venv"
fi
if ! "$PLANTID_TOOLS/venv/bin/python" -c 'import onnx' 2>/dev/null; then
  "$PLANTID_TOOLS/venv/bin/pip" install --quiet 'onnx>=1.16,<2'
fi
echo "onnx checker: $("$PLANTID_TOOLS/venv/bin/python" -c 'import onnx; print(onnx.__version__)')"
