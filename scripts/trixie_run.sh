#!/usr/bin/env bash
# Runs a command inside the torch 2.x trixie chroot made by scripts/make_trixie_chroot.sh, with
# /proc, /dev and /sys, and with the given host directories visible at the same paths. The
# mounts live in a private mount namespace, so nothing stays mounted when the command ends.
# The network is the host's: loopback servers of the host are reachable from inside.
#
#   scripts/trixie_run.sh [--bind DIR]... -- COMMAND [ARG]...
# Exit status is the command's. Runs as root.
set -euo pipefail

dir=${DLAUNCH_TRIXIE_DIR:-/var/cache/dlaunch/trixie}
binds=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bind) binds+=("$(realpath "$2")"); shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
if [ $# -eq 0 ]; then echo "usage: trixie_run.sh [--bind DIR]... -- COMMAND [ARG]..." >&2; exit 2; fi
if [ ! -f "$dir/.dlaunch-ready" ]; then
  echo "trixie_run: no chroot at $dir (run scripts/make_trixie_chroot.sh)" >&2
  exit 1
fi

exec unshare --mount --propagation private bash -c '
  set -e
  root=$1; shift
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount --rbind /sys "$root/sys"
  mount -t tmpfs tmpfs "$root/tmp"
  while [ "$1" != "--" ]; do
    mkdir -p "$root$1"
    mount --bind "$1" "$root$1"
    shift
  done
  shift
  exec chroot "$root" /usr/bin/env -u LD_LIBRARY_PATH PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
' trixie_run "$dir" "${binds[@]}" -- "$@"
