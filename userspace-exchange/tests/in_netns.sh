#!/bin/sh
# Run a command inside a private, throw-away network namespace: loopback up with multicast on and a
# 239.0.0.0/8 route to lo that exists only there. Nothing is ever added to the root namespace, and
# the namespace is deleted on exit (success, failure or signal).
#   usage: sh tests/in_netns.sh COMMAND [ARGS...]
set -u
if [ "$(id -u)" != 0 ]; then
	echo "in_netns.sh: needs root (ip netns)" >&2
	exit 1
fi
NS="oeex-$$"
# a test that needs a second namespace names it "$OEEX_NETNS-c" (system_session_end.cpp): removed
# here too, in case the test died before its own cleanup
export OEEX_NETNS="$NS"
cleanup() { ip netns del "$NS-c" 2>/dev/null; ip netns del "$NS" 2>/dev/null; }
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$NS" || exit 1
ip netns exec "$NS" ip link set lo up || exit 1
ip netns exec "$NS" ip link set lo multicast on || exit 1
ip netns exec "$NS" ip route add 239.0.0.0/8 dev lo || exit 1
ip netns exec "$NS" "$@"
