#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The heaps in /dev/dma_heap must be exactly the ones expected: a heap
# the device tree declares but the kernel silently dropped, or one that
# nobody declared, is a failure. The expected names come from the kernel
# command line as DTHEAPS_EXPECT=name:name:... (names may hold commas).

want=$(echo "$DTHEAPS_EXPECT" | tr ':' '\n' | sort | tr '\n' ' ')
have=$(ls /dev/dma_heap 2>/dev/null | sort | tr '\n' ' ')

if [ "$want" = "$have" ]; then
	echo "PASS: heaps-are: $have"
	exit 0
fi
echo "FAIL: heaps-are: expected '$want', found '$have'"
exit 1
