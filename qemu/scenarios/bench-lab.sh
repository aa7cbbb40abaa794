# The side-by-side tick-to-trade comparison of every path (in-driver, io_uring variants, AF_XDP,
# AF_PACKET, blocking sockets, the XDP_TX floor) in one guest boot, measured by the same exchange.
# Owned by userspace-strategy/ (lab-scenario.sh); runs in a boot of its own because its exchanges
# use the same ports as tick2trade's.
. "$OELAB_ROOT/userspace-strategy/lab-scenario.sh"
