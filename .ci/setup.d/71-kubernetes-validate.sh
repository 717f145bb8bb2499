# kubernetes-validate (PyPI) in its own venv: validates Kubernetes manifests offline against the
# official schemas it ships (`kubernetes-validate --strict`); no API server is available here.
# shellcheck source=../lib/venv.sh
. .ci/lib/venv.sh
plantid_tool_venv kubernetes-validate \
  '"$venv/bin/python" -c "import importlib.metadata as m; m.version(\"kubernetes-validate\")"' \
  'kubernetes-validate>=1.37,<2'
export PLANTID_KUBERNETES_VALIDATE="$PLANTID_TOOLS/kubernetes-validate-venv/bin/kubernetes-validate"
echo "kubernetes-validate: $("$PLANTID_KUBERNETES_VALIDATE" --version)"
