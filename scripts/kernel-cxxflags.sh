#!/bin/sh
# Usage: kernel-cxxflags.sh CXX FLAGS...  -> the subset of the kernel's C flags that g++ accepts for C++.
# g++ reports every C-only option it ignores ("is valid for C/ObjC but not for C++"); those and the
# C language standard are dropped, everything else (retpoline, return thunk, CET, ftrace, stack
# protector, code model, -mno-sse...) is kept verbatim. Cached per flag set under build/gen.
cxx=$1; shift
dir=$(dirname "$0")/../build/gen
mkdir -p "$dir"
key=$(printf '%s\n' "$cxx" "$@" | sha256sum | cut -c1-16)
cache=$dir/kcxxflags-$key
if [ -f "$cache" ]; then cat "$cache"; exit 0; fi
keep=""
for f in "$@"; do
	case $f in
	-std=*) continue ;;
	esac
	keep="$keep $f"
done
# shellcheck disable=SC2086
bad=$(echo "int x;" | LC_ALL=C $cxx -x c++ $keep -c -o /dev/null - 2>&1 | sed -n \
	-e "s/.*command-line option '\(-[^']*\)' is valid for .* but not for C++.*/\1/p" \
	-e "s/.*'-Werror=' argument '\(-Werror=[^']*\)' is not valid for C++.*/\1/p")
out=""
for f in $keep; do
	skip=0
	for b in $bad; do [ "$f" = "$b" ] && skip=1; done
	[ $skip = 0 ] && out="$out $f"
done
echo "$out" > "$cache"
echo "$out"
