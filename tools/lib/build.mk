# SPDX-License-Identifier: GPL-2.0
#
# Build logic shared by the tools in tools/: a static binary for the
# initramfs, from the tool's sources and tools/lib/heap-util.c.
#
# A tool's Makefile sets
#   PROG          name of the binary
#   SRCS          its own sources
#   HDRS          its own headers (optional), for rebuilding
#   PROG_CFLAGS   extra compiler flags (optional)
#   PROG_LDFLAGS  extra linker flags (optional)
# and includes this file.  Then:
#
#   make                        arm64 binary in the tool's directory
#   make O=/path/to/dir         ... in another directory (absolute, or
#                               relative to the tool's one)
#   make CROSS_COMPILE= O=dir   native binary, for the host
#
# EXTRA_CFLAGS adds compiler flags; LDFLAGS= on the command line drops
# -static (and PROG_LDFLAGS), e.g. for a sanitizer build.

CROSS_COMPILE ?= aarch64-linux-gnu-
CC := $(CROSS_COMPILE)gcc

LIB := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# The project tree: its include/uapi comes first, so that
# <linux/dma-heap.h> is the project's header and not the toolchain's.
TOP := $(abspath $(LIB)/../..)

O ?= .
OUT := $(abspath $(O))

CPPFLAGS := -I$(TOP)/include/uapi -I$(LIB)

# The DRM uapi headers, for vgem: the cross toolchain's libc headers have
# them, a host's may not (Debian ships them in libdrm-dev).
HASH := \#
HAVE_DRM := $(shell echo '$(HASH)include <drm/drm.h>' | \
	$(CC) -E -x c -o /dev/null - 2>/dev/null && echo y)
ifeq ($(HAVE_DRM),y)
CPPFLAGS += -DHU_HAVE_DRM
endif
CFLAGS := -O2 $(PROG_CFLAGS) -Wall -Wextra -Werror $(EXTRA_CFLAGS)
LDFLAGS := -static $(PROG_LDFLAGS)

BIN := $(OUT)/$(PROG)
ALL_SRCS := $(SRCS) $(LIB)/heap-util.c
DEPS := $(ALL_SRCS) $(HDRS) $(LIB)/heap-util.h $(LIB)/build.mk Makefile \
	$(TOP)/include/uapi/linux/dma-heap.h

.PHONY: all clean

all: $(BIN)

$(BIN): $(DEPS)
	@mkdir -p $(OUT)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(ALL_SRCS)

clean:
	rm -f $(BIN)
