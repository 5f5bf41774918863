#!/usr/bin/env bash
# Makes (once) a Debian trixie chroot with python3-torch 2.x, for tests that need a torch 2.x
# client, and caches it outside the repository. Prints the chroot's path on stdout.
#
#   scripts/make_trixie_chroot.sh            # default /var/cache/dlaunch/trixie
#   DLAUNCH_TRIXIE_DIR=/somewhere scripts/make_trixie_chroot.sh
#
# Runs as root (debootstrap, chroot); exits 77 when not root. Takes minutes and ~2 GB the first time; later calls only
# check the ready marker. Concurrent callers wait on a lock, so one test run builds it once.
# Run commands inside it with scripts/trixie_run.sh.
set -euo pipefail

dir=${DLAUNCH_TRIXIE_DIR:-/var/cache/dlaunch/trixie}
mirror=${DLAUNCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=(python3-torch)
marker="$dir/.dlaunch-ready"

if [ -f "$marker" ]; then echo "$dir"; exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  # 77: the tests that need the chroot skip rather than fail for a developer without root.
  echo "make_trixie_chroot: must run as root (debootstrap and chroot need it)" >&2
  exit 77
fi
command -v debootstrap >/dev/null || { echo "make_trixie_chroot: debootstrap missing (run scripts/setup.sh)" >&2; exit 1; }

mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9
if [ -f "$marker" ]; then echo "$dir"; exit 0; fi

work="$dir.partial"
rm -rf "$work"
echo "make_trixie_chroot: debootstrap trixie into $work (a few minutes)" >&2
debootstrap --variant=minbase trixie "$work" "$mirror" >"$dir.log" 2>&1 || {
  echo "make_trixie_chroot: debootstrap failed, see $dir.log" >&2; tail -5 "$dir.log" >&2; exit 1; }

# apt inside the chroot wants /proc and /dev; mount them in a private mount namespace so
# nothing stays mounted if this script dies.
echo "make_trixie_chroot: installing ${packages[*]}" >&2
unshare --mount --propagation private bash -c '
  set -e
  mount -t proc proc "$1/proc"
  mount --rbind /dev "$1/dev"
  cp /etc/resolv.conf "$1/etc/resolv.conf" 2>/dev/null || true
  shift
  chroot "$0" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  chroot "$0" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "$@"
  chroot "$0" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get clean
' "$work" "$work" "${packages[@]}" >>"$dir.log" 2>&1 || {
  echo "make_trixie_chroot: package install failed, see $dir.log" >&2; tail -5 "$dir.log" >&2; exit 1; }

unshare --mount --propagation private bash -c 'mount -t proc proc "$0/proc" &&
  chroot "$0" /usr/bin/python3 -c "import torch; print(torch.__version__)"' "$work" \
  >"$work/.torch-version" 2>>"$dir.log" || {
  echo "make_trixie_chroot: torch does not import in the chroot, see $dir.log" >&2; exit 1; }
rm -rf "$dir"
mv "$work" "$dir"
touch "$marker"
echo "make_trixie_chroot: ready, torch $(cat "$dir/.torch-version")" >&2
echo "$dir"
