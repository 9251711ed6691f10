# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the VM test scripts: one "PASS: name" or "FAIL: name: why"
# line per check, and a closing count. Set SUITE before sourcing.

npass=0
nfail=0

pass() { echo "PASS: $1"; npass=$((npass + 1)); }
fail() { echo "FAIL: $1: $2"; nfail=$((nfail + 1)); }

# summary: the closing count; true when no check failed.
summary() {
	echo "# $SUITE: $npass passed, $nfail failed"
	[ $nfail -eq 0 ]
}
