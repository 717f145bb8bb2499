# Debian nginx: the proxy in front of API replicas in tests (@plantid/testkit startNginx runs it
# unprivileged on a free loopback port with its pid and temp paths in a temp dir).
# shellcheck source=../lib/apt.sh
. .ci/lib/apt.sh
plantid_apt_install nginx
export PLANTID_NGINX=/usr/sbin/nginx
echo "nginx: $("$PLANTID_NGINX" -v 2>&1 | sed 's/^nginx version: //')"
