#!/usr/bin/env bash
# Sets up the host, builds the kiosk binary, and runs `sentinel demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
toolchain/setup-host.sh
BUILD_DIR=build toolchain/build.sh --target "sentinel sentinel-hcsim" -DSENTINEL_WERROR=ON
exec build/firmware/app/sentinel demo "$@"
