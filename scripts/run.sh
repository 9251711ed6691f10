#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job: build what changed, boot the VM on the heap overlay, show
# the heaps working, power off. MODE=shell gives an interactive shell.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

MODE=${MODE:-demo}

stage deps "$TOP/scripts/deps.sh"
stage kernel "$TOP/scripts/kernel.sh" vm
stage user "$TOP/scripts/vm.sh" user
if [ "$MODE" = shell ]; then
	exec "$TOP/scripts/vm.sh" boot shell
fi
stage boot "$TOP/scripts/vm.sh" boot "$MODE" "$LOGDIR/vm-$MODE.log"

# What the VM's userspace printed, without the kernel's boot messages.
grep -v -E '^\[ *[0-9]+\.[0-9]+\]|^DTHEAPS-(BEGIN|DONE)' "$LOGDIR/vm-$MODE.log"
log "full console log: $LOGDIR/vm-$MODE.log"
if grep -E '^DTHEAPS-RESULT ' "$LOGDIR/vm-$MODE.log" | grep -qv ' 0$'; then
	die "run" "a step in the VM failed" "$LOGDIR/vm-$MODE.log"
fi
