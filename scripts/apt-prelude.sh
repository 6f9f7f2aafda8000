# Sourced by the install-*.sh scripts: sets SUDO ("" as root, else "sudo") and checks for apt-get.
# $1: the script's name for messages; $2: what to do instead on a system without apt-get.
apt_prelude() {
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "$1: run as root or install sudo" >&2; exit 1; }
    SUDO="sudo"
  fi
  if ! command -v apt-get >/dev/null; then
    echo "$1: apt-get not found; $2" >&2
    exit 1
  fi
}
