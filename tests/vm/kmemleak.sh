#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kmemleak around the test suites, in kernels that have it:
#   kmemleak.sh start   forget what boot left behind
#   kmemleak.sh check   scan, and fail on any unreferenced object,
#                       printing each report with its backtrace

K=/sys/kernel/debug/kmemleak
if [ ! -w $K ]; then
	echo "# no kmemleak in this kernel"
	exit 0
fi

case "$1" in
start)
	echo clear >$K
	;;
check)
	# Objects younger than 5 s are never reported; scan twice, as a
	# pointer may sit in a register or on a stack during one scan.
	sleep 6
	echo scan >$K
	echo scan >$K
	n=$(grep -c '^unreferenced object' $K)
	if [ "$n" -eq 0 ]; then
		echo "PASS: no-leak"
		exit 0
	fi
	cat $K
	echo "FAIL: no-leak: $n unreferenced objects"
	exit 1
	;;
esac
