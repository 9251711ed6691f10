# SPDX-License-Identifier: GPL-2.0
#
# dt-heaps: device-tree declared DMA-BUF heaps.
#
#   make run      build, boot the VM on dts/vm.dtso, show the heaps working
#   make test     every check; ends with "N passed, N failed"
#   make shell    boot the VM to an interactive shell
#   make bench    time the project's heaps against the stock 6.12 kernel
#                 (build/bench/results.txt and results.svg)
#   make patches  the project as a patch series against the pristine 6.12
#                 tree, signed off by your git identity (build/patches/)
#   make check DTS=board.dtso [BASE=board.dtb] [BINDINGS="vendor.yaml"]
#                 a heap overlay checked before any device boots it:
#                 dt-schema, then the kernel's own checks, one verdict per
#                 heap (build/check/)
#
# Variables (environment or command line):
#   KSRC=/path    your own kernel tree instead of Debian's linux-source-6.12
#   DTS=file      another heap overlay for the VM
#   EXTRA="prog"  programs or scripts to run in the VM after the demo/tests
#   JOBS=N        parallel build jobs (default: number of CPUs)

SHELL := /bin/bash

.PHONY: run test shell bench patches check deps kunit vm-test clean distclean

run:
	@scripts/run.sh

shell:
	@MODE=shell scripts/run.sh

test:
	@scripts/test.sh

bench:
	@scripts/bench.sh

patches:
	@scripts/patches.sh

check:
	@scripts/deps.sh >/dev/null && scripts/kernel.sh vm >/dev/null && \
		scripts/vm.sh user >/dev/null && scripts/check.sh "$(DTS)"

kunit:
	@scripts/test.sh kunit

vm-test:
	@scripts/test.sh vm

deps:
	@scripts/deps.sh

# Keeps the unpacked source and ccache; drops every build output.
clean:
	rm -rf build/out build/vm build/user build/dt build/logs build/linux build/check \
		build/patches build/patches-work build/patch-test

distclean:
	rm -rf build
