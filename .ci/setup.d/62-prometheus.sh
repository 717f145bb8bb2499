# Debian prometheus + promtool: scraping real API processes and `promtool test rules` in tests
# (@plantid/testkit startPrometheus). The packaged service is never started (policy-rc.d).
# shellcheck source=../lib/apt.sh
. .ci/lib/apt.sh
plantid_apt_install prometheus
export PLANTID_PROMETHEUS=/usr/bin/prometheus
export PLANTID_PROMTOOL=/usr/bin/promtool
echo "prometheus: $("$PLANTID_PROMETHEUS" --version 2>&1 | sed -nE 's/^prometheus, version ([^ ]+).*/\1/p'), promtool: $("$PLANTID_PROMTOOL" --version 2>&1 | sed -nE 's/^promtool, version ([^ ]+).*/\1/p')"
