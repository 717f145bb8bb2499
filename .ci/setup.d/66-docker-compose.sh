# Debian docker-compose (1.29, the Python client; the `docker compose` plugin is not packaged for
# Debian): validates deploy/compose.yaml with `docker-compose config` — no engine needed for that.
# shellcheck source=../lib/apt.sh
. .ci/lib/apt.sh
plantid_apt_install docker-compose
export PLANTID_DOCKER_COMPOSE=/usr/bin/docker-compose
echo "docker-compose: $("$PLANTID_DOCKER_COMPOSE" version --short 2>/dev/null)"
