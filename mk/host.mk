# Shared host-build conventions, included by every component Makefile.
#   $(ROOT)      repo root            $(HOST)     build/host (objects, binaries)
#   $(RESULTS)   build/results        test results: <suite>.xml (gtest --gtest_output=xml:...) or
#                                     <suite>.txt whose last line is "N passed, N failed"
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
HOST := $(ROOT)/build/host
RESULTS := $(ROOT)/build/results
CXX := g++
INCLUDES := -I$(ROOT)/strategy/include -I$(ROOT)/tcp/include
# The freestanding core compiled for the host under the kernel's language restrictions: proves it
# needs no STL, exceptions, RTTI or thread-safe statics.
CORE_FLAGS := -std=c++20 -g -Wall -Wextra -Werror -ffreestanding -nostdinc++ -fno-exceptions -fno-rtti \
	-fno-threadsafe-statics -fno-asynchronous-unwind-tables $(INCLUDES)
CORE_CXXFLAGS := $(CORE_FLAGS) -O2
# Tests: ASan + UBSan, failing hard on the first report.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CORE_SAN_CXXFLAGS := $(CORE_FLAGS) -O1 $(SAN)
TEST_CXXFLAGS := -std=c++20 -g -O1 -Wall -Wextra -Werror $(SAN) $(INCLUDES) -I$(ROOT)/kunit/host
TEST_LDLIBS := $(SAN) -lgtest -lpthread
# Tools and servers (hosted C++20).
APP_CXXFLAGS := -std=c++20 -O2 -g -Wall -Wextra -Werror $(INCLUDES)
