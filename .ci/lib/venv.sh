# Sourced by .ci/setup.d scripts: `plantid_tool_venv NAME CHECK PIP_SPEC...` gives a Python tool its
# own venv, $PLANTID_TOOLS/NAME-venv (so its pins never fight mlflow's or another tool's), and
# pip-installs PIP_SPEC there unless CHECK (a shell command; $venv is the venv) already succeeds.
# pip's output goes to $venv/pip.log and is shown, without the mirror noise, only on failure.
plantid_tool_venv() {
  local name=$1 check=$2
  shift 2
  PLANTID_TOOLS="${PLANTID_TOOLS:-$HOME/.cache/plantid-tools}"
  local venv="$PLANTID_TOOLS/$name-venv"
  if (eval "$check") >/dev/null 2>&1; then return 0; fi
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  if ! "$venv/bin/python" -m pip install --quiet "$@" >"$venv/pip.log" 2>&1; then
    grep -v 'is ignored: it is neither a file nor a directory' "$venv/pip.log" | tail -20 >&2
    echo "pip install $* into $venv failed (log: $venv/pip.log)" >&2
    return 1
  fi
  local out
  out=$( (eval "$check") 2>&1) || { echo "$name: installed but \`$check\` fails: $out" >&2; return 1; }
}
