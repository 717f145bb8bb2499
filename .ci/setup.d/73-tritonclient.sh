# Triton's official Python client, `tritonclient[http]`, in its own venv: Open Inference Protocol v2
# tests talk to our server with it (python at $PLANTID_TRITONCLIENT_PYTHON).
# shellcheck source=../lib/venv.sh
. .ci/lib/venv.sh
plantid_tool_venv tritonclient \
  '"$venv/bin/python" -c "import importlib.metadata as m; m.version(\"tritonclient\"); m.version(\"geventhttpclient\")"' \
  'tritonclient[http]>=2.50,<3'
export PLANTID_TRITONCLIENT_PYTHON="$PLANTID_TOOLS/tritonclient-venv/bin/python"
echo "tritonclient: $("$PLANTID_TRITONCLIENT_PYTHON" -c 'import importlib.metadata as m; print(m.version("tritonclient"))')"
