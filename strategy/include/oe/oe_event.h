/* SPDX-License-Identifier: GPL-2.0 */
/* Events the order-entry TCP client reports to the strategy through its continuation slot. */
#pragma once
#include "oe/base.h"

namespace oe::tcp { enum class Event : u8 { Established, Data, PeerClosed, Reset, Failed, Closed }; }
