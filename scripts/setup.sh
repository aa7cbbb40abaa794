#!/usr/bin/env bash
# Idempotent machine setup for the lab: every dependency comes from Debian's archive.
# Adds bookworm-backports (qemu-system-x86 >= 8.0 has -device igb) reusing the URIs of the
# machine's own Debian source entry, so no archive host name is ever written into this repo.
set -euo pipefail

stamp_dir=${OELAB_CACHE:-$HOME/.cache/oelab}
stamp=$stamp_dir/setup.stamp
here=$(cd "$(dirname "$0")" && pwd)
self_hash=$(sha256sum "$here/setup.sh" | cut -c1-16)

# Fast path: everything already installed by this version of the script.
if [[ -f $stamp && $(cat "$stamp") == "$self_hash" ]] && command -v qemu-system-x86_64 >/dev/null; then
	exit 0
fi

[[ $(id -u) -eq 0 ]] || { echo "setup: must run as root (apt-get)" >&2; exit 1; }
. /etc/os-release
codename=${VERSION_CODENAME:-bookworm}

debian_uri() {
	# First URI of a deb822 entry serving the main suite, else a one-line "deb" entry.
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] || continue
		uri=$(awk -v s="$codename" '
			/^URIs:/ { u=$2 } /^Suites:/ { for (i=2;i<=NF;i++) if ($i==s) hit=1 }
			/^$/ { if (hit && u) { print u; done=1; exit } u=""; hit=0 }
			END { if (!done && hit && u) print u }' "$f")
		[[ -n $uri ]] && { echo "$uri"; return; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] || continue
		uri=$(awk -v s="$codename" '$1=="deb" && $3==s { print $2; exit }' "$f")
		[[ -n $uri ]] && { echo "$uri"; return; }
	done
}

bp=/etc/apt/sources.list.d/oelab-backports.sources
if [[ ! -f $bp ]]; then
	uri=$(debian_uri)
	[[ -n $uri ]] || { echo "setup: no Debian source entry for $codename found" >&2; exit 1; }
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	{
		echo "Types: deb"
		echo "URIs: $uri"
		echo "Suites: $codename-backports"
		echo "Components: main"
		[[ -f $keyring ]] && echo "Signed-By: $keyring"
	} > "$bp"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential bc bison flex libelf-dev libssl-dev dwarves cpio kmod rsync xz-utils \
	python3 linux-source-6.12 linux-source-6.1 linux-headers-amd64 busybox-static ethtool iproute2 iputils-ping \
	liburing-dev zlib1g-dev googletest libgtest-dev libbenchmark-dev \
	libbpf-dev libxdp-dev xdp-tools clang llvm lld libclang-rt-14-dev valgrind \
	python3-scapy python3-numpy python3-scipy python3-matplotlib tshark trace-cmd gnuplot-nox jq procps psmisc linuxptp >/dev/null
apt-get install -y -qq --no-install-recommends -t "$codename-backports" qemu-system-x86 >/dev/null

qemu_major=$(qemu-system-x86_64 --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
if (( qemu_major < 8 )); then
	echo "setup: qemu-system-x86 $qemu_major < 8.0 has no -device igb" >&2
	exit 1
fi
mkdir -p "$stamp_dir"
echo "$self_hash" > "$stamp"
