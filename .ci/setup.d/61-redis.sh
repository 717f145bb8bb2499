# Debian redis-server: the shared prediction store of stateless API replicas in tests
# (@plantid/testkit startRedis runs one on a free loopback port, data in a temp dir).
# shellcheck source=../lib/apt.sh
. .ci/lib/apt.sh
plantid_apt_install redis-server
export PLANTID_REDIS_SERVER=/usr/bin/redis-server
export PLANTID_REDIS_CLI=/usr/bin/redis-cli
echo "redis-server: $("$PLANTID_REDIS_SERVER" --version | sed -E 's/.* v=([^ ]+).*/\1/')"
