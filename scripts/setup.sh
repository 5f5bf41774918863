#!/usr/bin/env bash
# Installs the Debian bookworm packages that building, running and testing dlaunch need.
# Idempotent: packages already present are not fetched again; apt-get update runs only when
# something is missing. Run as root (or with sudo available).
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config clang libclang-rt-14-dev clang-format
  # dlaunch (launcher, agent, rendezvous)
  libboost1.81-dev libboost-filesystem1.81-dev libspdlog-dev nlohmann-json3-dev doctest-dev
  prometheus-cpp-dev
  # dtrain
  libtorch-dev libgloo-dev zlib1g-dev libstb-dev dataset-fashion-mnist
  # tests and benchmarks: real torch workers, several hosts, ssh, torch 2.x chroot
  python3-torch iproute2 openssh-server openssh-client debootstrap hyperfine procps psmisc time
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
echo "setup: done"
