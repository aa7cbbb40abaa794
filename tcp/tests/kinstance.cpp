// SPDX-License-Identifier: GPL-2.0
/* kcheck: the Client instantiated on AbiPort exactly as the driver does, compiled with kernel flags. */
#include "oe/tcp/abi_port.h"
#include "oe/tcp/client.h"

struct KernelCont {
	void *owner;
	void operator()(oe::tcp::Event) const {}
};

template class oe::tcp::Client<oe::tcp::AbiPort, KernelCont>;
