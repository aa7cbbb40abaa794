#!/bin/sh
# Usage: check-cxx-object.sh OBJDUMP OBJ — reject C++ objects the kernel cannot host: static
# constructors (.init_array / .ctors: a module has nobody to run them) and exception tables.
objdump=$1 obj=$2
bad=$($objdump -h "$obj" | awk '{print $2}' | grep -E '^\.(init_array|ctors|gcc_except_table|eh_frame)' || true)
if [ -n "$bad" ]; then
	echo "error: $obj has sections a kernel module cannot host: $bad" >&2
	rm -f "$obj"
	exit 1
fi
# The throwing operator new (_Znwm, _Znam) is not provided: without exceptions it would hand nullptr
# to a constructor on OOM. Allocate with oe::rt_new<T>() or new (std::nothrow) (oe/rt.h).
throwing=$($objdump -t "$obj" | awk '$2 == "*UND*" || $3 == "*UND*" {print $NF}' | grep -xE '_Zn[wa]m' || true)
if [ -n "$throwing" ]; then
	echo "error: $obj calls the throwing operator new ($throwing): use oe::rt_new<T>() or new (std::nothrow), oe/rt.h" >&2
	rm -f "$obj"
	exit 1
fi
