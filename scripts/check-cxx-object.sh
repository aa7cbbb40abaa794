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
