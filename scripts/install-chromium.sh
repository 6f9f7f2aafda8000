#!/usr/bin/env bash
# Install Debian's Chromium for the browser test (packages/tensor/test/browser): headless Chromium
# runs WebGPU on SwiftShader, the CPU Vulkan driver it ships, so the test needs no GPU. Debian 12's
# `chromium` package (with its own SwiftShader) is used because `npx playwright install` downloads
# a browser from outside the npm registry. Needs root (or sudo). Running it twice is harmless.
set -euo pipefail

. "$(dirname "$0")/apt-prelude.sh"
apt_prelude install-chromium "install Chromium with your package manager and set AIMODEL_CHROMIUM to its path"

if ! command -v chromium >/dev/null; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
echo "install-chromium: $(chromium --version 2>/dev/null)"
