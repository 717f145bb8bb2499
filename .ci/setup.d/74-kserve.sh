# KServe's model server (PyPI `kserve`, a real Open Inference Protocol v2 server) plus onnxruntime, in
# its own venv: kserve pins protobuf>=6.33.5, pandas<3, fastapi/pydantic 2 and Python 3.10-3.13, which
# must not move mlflow's. @plantid/testkit startKserve runs a kserve.Model script on 127.0.0.1.
# shellcheck source=../lib/venv.sh
. .ci/lib/venv.sh
plantid_tool_venv kserve \
  '"$venv/bin/python" -c "import importlib.metadata as m; m.version(\"kserve\"); m.version(\"onnxruntime\")"' \
  'kserve>=0.21,<0.22' 'onnxruntime>=1.20,<2'
export PLANTID_KSERVE_PYTHON="$PLANTID_TOOLS/kserve-venv/bin/python"
echo "kserve: $("$PLANTID_KSERVE_PYTHON" -c 'import importlib.metadata as m; print(", ".join(p + " " + m.version(p) for p in ("kserve", "onnxruntime", "fastapi", "pydantic", "numpy")))')"
