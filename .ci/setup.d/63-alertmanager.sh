# Debian prometheus-alertmanager + amtool: alerts fired by a real Prometheus reach a webhook in tests
# (@plantid/testkit startAlertmanager runs it on loopback with clustering off).
# shellcheck source=../lib/apt.sh
. .ci/lib/apt.sh
plantid_apt_install prometheus-alertmanager
export PLANTID_ALERTMANAGER=/usr/bin/prometheus-alertmanager
export PLANTID_AMTOOL=/usr/bin/amtool
echo "alertmanager: $("$PLANTID_ALERTMANAGER" --version 2>&1 | sed -nE 's/^alertmanager, version ([^ ]+).*/\1/p'), amtool: $("$PLANTID_AMTOOL" --version 2>&1 | sed -nE 's/^amtool, version ([^ ]+).*/\1/p')"
