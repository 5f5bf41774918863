#!/usr/bin/env bash
# Several "hosts" on one machine for tests: network namespaces joined by veth pairs to a
# bridge that lives in a namespace of its own (nothing touches the machine's own network).
#
#   netns.sh up   NAME N SUBNET   make hosts NAME-h1..NAME-hN at SUBNET.1..SUBNET.N (/24)
#   netns.sh down NAME N          remove them (also what a failed 'up' left behind)
#   netns.sh exec NAME I CMD...   run CMD on host I
#   netns.sh link NAME I up|down  set host I's link up or down (a cut cable)
#
# NAME is short (its interfaces are NAME-vI, at most 15 characters); SUBNET is like 10.213.7.
# Needs root. Every host has lo and eth0 up; GLOO_SOCKET_IFNAME=eth0 inside.
set -euo pipefail

cmd=${1:?usage: netns.sh up|down|exec|link NAME ...}
name=${2:?missing NAME}
bridge_ns="$name-br"

case "$cmd" in
  up)
    n=${3:?missing N}; subnet=${4:?missing SUBNET}
    "$0" down "$name" "$n" 2>/dev/null || true
    ip netns add "$bridge_ns"
    ip -n "$bridge_ns" link add br0 type bridge
    ip -n "$bridge_ns" link set br0 up
    ip -n "$bridge_ns" link set lo up
    for i in $(seq 1 "$n"); do
      host="$name-h$i"
      ip netns add "$host"
      ip link add "$name-v$i" netns "$bridge_ns" type veth peer name eth0 netns "$host"
      ip -n "$bridge_ns" link set "$name-v$i" master br0 up
      ip -n "$host" addr add "$subnet.$i/24" dev eth0
      ip -n "$host" link set eth0 up
      ip -n "$host" link set lo up
    done
    ;;
  down)
    n=${3:?missing N}
    for i in $(seq 1 "$n"); do
      host="$name-h$i"
      # Whatever still runs in the namespace goes with it.
      pids=$(ip netns pids "$host" 2>/dev/null || true)
      [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
      ip netns del "$host" 2>/dev/null || true
    done
    ip netns del "$bridge_ns" 2>/dev/null || true
    ;;
  exec)
    i=${3:?missing I}; shift 3
    exec ip netns exec "$name-h$i" "$@"
    ;;
  link)
    i=${3:?missing I}; state=${4:?missing up|down}
    ip -n "$name-h$i" link set eth0 "$state"
    ;;
  *)
    echo "netns.sh: unknown command '$cmd'" >&2
    exit 2
    ;;
esac
