#!/usr/bin/env bash
# Installs every Debian package conveyor needs to build, lint and test.
# Idempotent: packages already present are not touched, and apt is not
# consulted at all when nothing is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  clang-format clang-tidy cppcheck
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libtomlplusplus-dev libssl-dev libsqlite3-dev libgit2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libxgboost-dev libopencv-dev
  libpq-dev postgresql libcairo2-dev fonts-dejavu-core libboost-dev curl
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
else
  sudo=
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
