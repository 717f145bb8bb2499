# Sourced by .ci/setup.d scripts: `plantid_apt_install PKG...` installs the Debian packages that are
# not installed yet (no recommends, quiet), and runs `apt-get update` only when the install fails on
# missing or stale package lists. Already installed: one dpkg-query per package, no apt call.
plantid_apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  local install=($sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}")
  if ! "${install[@]}" >/dev/null 2>&1; then
    $sudo apt-get update -qq
    "${install[@]}" >/dev/null
  fi
}
