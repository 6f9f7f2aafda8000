#!/usr/bin/env bash
# Install Mesa's lavapipe — a Vulkan driver that runs on the CPU — so that Dawn (the `webgpu` npm
# package) finds a WebGPU adapter on Debian 12 machines without a GPU. Dawn needs Mesa ≥ 23;
# bookworm ships 22, so the driver comes from bookworm-backports (added from the mirror already
# configured). Needs root (or sudo). Running it twice is harmless.
set -euo pipefail

. "$(dirname "$0")/apt-prelude.sh"
apt_prelude install-lavapipe "install Mesa's Vulkan drivers (lavapipe) with your package manager"

if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    # deb822 format: copy the stanza for "bookworm" with the suite renamed
    awk 'BEGIN { RS = ""; ORS = "\n\n" }
         /Suites: bookworm( |$)/ { sub(/Suites: [^\n]*/, "Suites: bookworm-backports"); print; exit }' \
      /etc/apt/sources.list.d/debian.sources | $SUDO tee /etc/apt/sources.list.d/aimodel-backports.sources >/dev/null
  elif [ -f /etc/apt/sources.list ]; then
    grep -m1 -E '^deb .* bookworm main' /etc/apt/sources.list | sed 's/ bookworm main/ bookworm-backports main/' \
      | $SUDO tee /etc/apt/sources.list.d/aimodel-backports.list >/dev/null
  fi
fi

$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
echo "install-lavapipe: mesa-vulkan-drivers $(dpkg-query -W -f '${Version}' mesa-vulkan-drivers)"
