#!/usr/bin/env bash
# Installs the Debian bookworm packages the build and the tests need. Idempotent: packages that are
# already installed are skipped, and apt is not touched at all when nothing is missing.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config git ca-certificates openssl
    libopencv-dev libopencv-contrib-dev libzxing-dev
    libcurl4-openssl-dev libssl-dev zlib1g-dev libsqlite3-dev sqlite3
    nlohmann-json3-dev libtomlplusplus-dev libgpiod-dev libsystemd-dev
    libgtest-dev libgmock-dev libcpp-httplib-dev
    clang-14 libclang-rt-14-dev
    libsdl2-dev libasound2-dev libmosquitto-dev fonts-noto-cjk espeak-ng fonts-ocr-b
    mosquitto mosquitto-clients tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng sox
    xvfb xauth prometheus alsa-utils ccache
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup-host: all ${#packages[@]} packages present"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "setup-host: missing packages: ${missing[*]}" >&2
    echo "setup-host: run as root (or: sudo $0)" >&2
    exit 2
fi

echo "setup-host: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
