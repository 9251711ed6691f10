#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Documentation checks, one PASS/FAIL line each (as scripts/dt-check.sh):
#
#   abi:<attr>        every sysfs attribute the project's code puts in an
#                     attribute array has a "What:" entry under
#                     Documentation/ABI/, and every entry there names
#                     an attribute that exists
#   abi:validate      the ABI files pass the kernel's own validator
#                     (scripts/get_abi.pl validate), with no warning that
#                     the pristine tree's ABI files do not give already
#   kernel-doc:<rst>:<line>
#                     every ".. kernel-doc::" directive names a file that
#                     exists in the overlaid tree, kernel-doc -Wall extracts
#                     it without a warning, every identifier it lists is
#                     found, and with :export: every exported function of
#                     the file is documented
#   kernel-doc:exports every function the project exports is pulled into
#                     some page by a kernel-doc directive
#   rst:<file>        every project .rst parses with docutils without a
#                     warning (Sphinx-only directives accepted as they are)
#   toctree:<file>    every project page is listed in its index.rst, and an
#                     overlaid index.rst only adds lines to the pristine one
#   sphinx            the project's pages and ABI file, built by Sphinx with
#                     the kernel's own kernel-doc and kernel-abi extensions,
#                     give no warning (only where sphinx-build is installed)
#
# Nothing here builds the whole kernel documentation (make htmldocs takes
# far too long); the Sphinx build covers the project's pages only.
set -uo pipefail

. "$(dirname "$0")/lib.sh"

OUT=$BUILD/docs
DOCS=$TOP/Documentation
PY=/usr/bin/python3
HELPER=$TOP/scripts/docs-rst.py
mkdir -p "$OUT"

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }

# The pristine tree: its kernel-doc, get_abi.pl and ABI files are used as
# they are, never written to.
KSRC=${KSRC:-$BUILD/src/linux-source-6.12}
if [ ! -f "$KSRC/Makefile" ]; then
	tarball=/usr/src/linux-source-6.12.tar.xz
	[ -f "$tarball" ] || die "docs" "$tarball missing; run scripts/deps.sh"
	log "source: unpacking $tarball"
	mkdir -p "$BUILD/src"
	tar -C "$BUILD/src" -xf "$tarball" || die "docs" "cannot unpack $tarball"
	KSRC=$BUILD/src/linux-source-6.12
fi
KSRC=$(cd "$KSRC" && pwd)

# resolve PATH: where a kernel-tree path is in the overlaid tree, the
# project's file if it has one, else the pristine tree's. The project's
# include/uapi/ and Documentation/ sit at the same paths as in the tree.
resolve() {
	local p=$1

	if [ -f "$TOP/kernel/$p" ]; then
		echo "$TOP/kernel/$p"
	elif { [ "${p#include/uapi/}" != "$p" ] ||
		[ "${p#Documentation/}" != "$p" ]; } && [ -f "$TOP/$p" ]; then
		echo "$TOP/$p"
	elif [ -f "$KSRC/$p" ]; then
		echo "$KSRC/$p"
	else
		return 1
	fi
}

project_rst() { find "$DOCS" -name '*.rst' 2>/dev/null | sort; }
project_pages() { project_rst | grep -v '/index\.rst$'; }
abi_files() { find "$DOCS/ABI" -type f 2>/dev/null | sort; }

# The project's C sources, without the KUnit tests.
project_sources() {
	find "$TOP/kernel" -name '*.c' ! -path '*/tests/*' 2>/dev/null | sort
}

# Attributes the code creates: the dev_attr_<name> that an attribute
# array lists. Declared attributes that no array lists are reported too.
sysfs_attrs() {
	project_sources | xargs grep -ohE '&dev_attr_[a-z0-9_]+\.attr' |
		sed -E 's/&dev_attr_([a-z0-9_]+)\.attr/\1/' | sort -u
}

declared_attrs() {
	local wrappers w

	# DEVICE_ATTR*(name...) and macros wrapping it: "#define M(_name..."
	# whose body declares DEVICE_ATTR_xx(_name), used as "M(name, ...)".
	project_sources | xargs grep -ohE \
		'^[[:space:]]*static DEVICE_ATTR(_RO|_RW|_WO|_ADMIN_RO|_ADMIN_RW)?\([a-z0-9_]+' |
		sed -E 's/.*\(//' | grep -v '^_'
	wrappers=$(project_sources | xargs grep -lE 'DEVICE_ATTR(_R[OW]|_WO)?\(_name\)' |
		xargs -r grep -ohE '^#define [A-Z0-9_]+\(_name' |
		sed -E 's/#define ([A-Z0-9_]+)\(.*/\1/' | sort -u)
	for w in $wrappers; do
		project_sources | xargs grep -ohE "^$w\([a-z0-9_]+" | sed -E 's/.*\(//'
	done
}

abi_whats() {
	abi_files | xargs -r grep -hE '^What:' |
		sed -nE 's|^What:[[:space:]]+/sys/class/dma_heap/<name>/([^[:space:]]*).*|\1|p' |
		sort -u
}

check_abi_entries() {
	local attrs whats a

	if [ -z "$(abi_files)" ]; then
		fail "abi" "no ABI file under Documentation/ABI"
		return
	fi
	attrs=$(sysfs_attrs)
	whats=$(abi_whats)
	for a in $attrs; do
		if grep -qx "$a" <<<"$whats"; then
			pass "abi:$a"
		else
			fail "abi:$a" "created in the code, no What: entry in $(abi_files | sed "s|$TOP/||" | tr '\n' ' ')"
		fi
	done
	# The heap's directory itself ("<name>/") is an entry of its own.
	for a in $whats; do
		[ -n "$a" ] || continue
		grep -qx "$a" <<<"$attrs" ||
			fail "abi:$a" "documented, but the code creates no such attribute"
	done
	for a in $(declared_attrs | sort -u); do
		grep -qx "$a" <<<"$attrs" ||
			fail "abi:$a" "declared, but in no attribute array"
	done
}

# get_abi.pl reads a whole folder; it gets a copy of the pristine ABI
# folder with the project's files laid over it, so that a "What:" defined
# twice across files is found too. Only warnings the pristine folder does
# not give already count.
check_abi_validate() {
	local dir=$OUT/abi f rel

	rm -rf "$dir" && mkdir -p "$dir"
	cp -r "$KSRC/Documentation/ABI" "$dir/pristine"
	cp -r "$KSRC/Documentation/ABI" "$dir/project"
	for f in $(abi_files); do
		rel=${f#"$DOCS/ABI/"}
		mkdir -p "$(dirname "$dir/project/$rel")"
		cp "$f" "$dir/project/$rel"
	done
	(cd "$KSRC" && perl scripts/get_abi.pl validate --dir "$dir/pristine") \
		>/dev/null 2>"$dir/pristine.log"
	if ! (cd "$KSRC" && perl scripts/get_abi.pl validate --dir "$dir/project") \
		>/dev/null 2>"$dir/project.log"; then
		fail "abi:validate" "get_abi.pl failed (see $dir/project.log)"
		return
	fi
	sed "s|$dir/pristine|X|g" "$dir/pristine.log" | sort >"$dir/pristine.sorted"
	sed "s|$dir/project|X|g" "$dir/project.log" | sort >"$dir/project.sorted"
	comm -13 "$dir/pristine.sorted" "$dir/project.sorted" >"$dir/new.log"
	if [ -s "$dir/new.log" ]; then
		fail "abi:validate" "$(head -n1 "$dir/new.log") (see $dir/project.log)"
		cat "$dir/project.log" >&2
	else
		pass "abi:validate"
	fi
}

# Exported functions of a C file, KUnit-only exports left out.
exports_of() {
	grep -ohE '^EXPORT_SYMBOL(_NS)?(_GPL)?\([a-z0-9_]+' "$1" | sed -E 's/.*\(//'
}

# kerneldoc ARGS...: the command the kernel's Sphinx extension runs.
kerneldoc() { perl "$KSRC/scripts/kernel-doc" -rst -enable-lineno -Wall "$@"; }

check_directive() {
	local rst=$1 line=$2 src=$3 opt=$4 val=$5
	local name file log out args=() missing=() i
	name="kernel-doc:${rst#"$TOP/"}:$line"
	log=$OUT/kernel-doc.$(basename "$rst").$line

	if ! file=$(resolve "$src"); then
		fail "$name" "$src: no such file in the overlaid tree"
		return
	fi
	case "$opt" in
	export) args=(-export) ;;
	internal) args=(-internal) ;;
	doc) args=(-function "$val") ;;
	identifiers | functions)
		for i in $val; do args+=(-function "$i"); done
		[ -n "$val" ] || args=(-no-doc-sections) ;;
	"") ;;
	*) fail "$name" "unknown option :$opt:"; return ;;
	esac
	if [ "$opt" = export ] || [ "$opt" = internal ]; then
		for i in $val; do
			resolve "$i" >/dev/null ||
				missing+=("$i")
			args+=(-export-file "$(resolve "$i")")
		done
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		fail "$name" "export file(s) not found: ${missing[*]}"
		return
	fi

	kerneldoc "${args[@]}" "$file" >"$log.rst" 2>"$log.err"
	if [ $? -ne 0 ] || [ -s "$log.err" ]; then
		fail "$name" "$src: $(head -n1 "$log.err") (see $log.err)"
		cat "$log.err" >&2
		return
	fi
	if ! grep -qv '^\.\. LINENO' "$log.rst"; then
		fail "$name" "$src: kernel-doc extracts nothing"
		return
	fi
	missing=()
	if [ "$opt" = identifiers ] || [ "$opt" = functions ] || [ "$opt" = doc ]; then
		# One run per identifier: kernel-doc only says "not found"
		# when none of them is.
		for i in $val; do
			out=$(kerneldoc -function "$i" "$file" 2>/dev/null | grep -v '^\.\. LINENO')
			[ -n "$out" ] || missing+=("$i")
		done
	fi
	if [ "$opt" = export ]; then
		for i in $(exports_of "$file"); do
			grep -qE "^\.\. c:function:: .*[ *]$i \(" "$log.rst" ||
				missing+=("$i (exported, no kernel-doc)")
		done
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		fail "$name" "$src: not found: ${missing[*]}"
		return
	fi
	pass "$name"
}

check_kerneldoc() {
	local rst line src opt val f i seen=$OUT/kernel-doc.functions missing=()

	: >"$seen"
	while IFS=$'\t' read -r rst line src opt val; do
		check_directive "$rst" "$line" "$src" "$opt" "$val"
		cat "$OUT/kernel-doc.$(basename "$rst").$line.rst" 2>/dev/null |
			sed -nE 's/^\.\. c:function:: .*[ *]([a-z0-9_]+) \(.*/\1/p' >>"$seen"
	done < <($PY "$HELPER" directives "${RST[@]}")

	# Every function the project exports is in the driver guide.
	for f in $(project_sources); do
		for i in $(exports_of "$f"); do
			grep -qx "$i" "$seen" || missing+=("$i")
		done
	done
	if [ ${#missing[@]} -gt 0 ]; then
		fail "kernel-doc:exports" "in no kernel-doc directive: ${missing[*]}"
	else
		pass "kernel-doc:exports"
	fi
}

check_rst() {
	if ! $PY -c 'import docutils' 2>/dev/null; then
		fail "rst" "python3-docutils is not installed (scripts/deps.sh)"
		return
	fi
	# From the top, so that each page is named Documentation/...
	(cd "$TOP" && $PY "$HELPER" parse "${RST[@]}") 2>"$OUT/rst.log"
}

# An overlaid index.rst replaces the pristine one, so it must be the
# pristine one plus lines, and it must list the project's pages.
check_toctree() {
	local page dir idx name extra

	for page in $(project_pages); do
		dir=$(dirname "$page")
		idx=$dir/index.rst
		name=${page#"$DOCS/"}
		if [ ! -f "$idx" ]; then
			fail "toctree:$name" "no ${idx#"$TOP/"} lists it"
		elif ! grep -qE "^[[:space:]]+$(basename "$page" .rst)\$" "$idx"; then
			fail "toctree:$name" "not listed in ${idx#"$TOP/"}"
		else
			pass "toctree:$name"
		fi
	done
	for idx in $(project_rst | grep '/index\.rst$'); do
		name=${idx#"$DOCS/"}
		if [ ! -f "$KSRC/Documentation/$name" ]; then
			pass "toctree:$name"
			continue
		fi
		extra=$(diff "$KSRC/Documentation/$name" "$idx" | grep -E '^[<>]' | grep -v '^>' | head -n1)
		if [ -n "$extra" ]; then
			fail "toctree:$name" "changes lines of the pristine index, not only adds: $extra"
		else
			pass "toctree:$name"
		fi
	done
}

# A Sphinx build of the project's pages alone, with the kernel's own
# kernel-doc and kernel-abi extensions, in a tree of links to the
# overlaid files. Takes a few seconds.
check_sphinx() {
	local dir=$OUT/sphinx src tree page rel f p

	if ! command -v sphinx-build >/dev/null; then
		fail "sphinx" "sphinx-build is not installed (python3-sphinx, scripts/deps.sh)"
		return
	fi
	rm -rf "$dir" && mkdir -p "$dir/src" "$dir/tree/scripts" "$dir/tree/Documentation"
	src=$dir/src
	tree=$dir/tree

	# The source tree the extensions see: the pristine scripts, the
	# project's ABI files alone, and every file a directive names.
	ln -s "$KSRC/scripts/kernel-doc" "$KSRC/scripts/get_abi.pl" "$tree/scripts/"
	for f in $(abi_files); do
		rel=${f#"$DOCS/"}
		mkdir -p "$(dirname "$tree/Documentation/$rel")"
		ln -s "$f" "$tree/Documentation/$rel"
	done
	while IFS=$'\t' read -r _ _ p _ _; do
		[ -e "$tree/$p" ] && continue
		f=$(resolve "$p") || continue
		mkdir -p "$(dirname "$tree/$p")"
		ln -s "$f" "$tree/$p"
	done < <($PY "$HELPER" directives "${RST[@]}")

	{
		echo "dt-heaps pages"
		echo "=============="
		echo
		echo ".. toctree::"
		echo
		for page in $(project_pages); do
			rel=${page#"$DOCS/"}
			mkdir -p "$(dirname "$src/$rel")"
			cp "$page" "$src/$rel"
			echo "   ${rel%.rst}"
		done
		echo "   abi"
	} >"$src/index.rst"
	cat >"$src/abi.rst" <<-EOF
	ABI
	===

	.. kernel-abi:: ABI/testing
	   :rst:
	EOF
	cat >"$src/conf.py" <<-EOF
	import sys
	sys.path.insert(0, '$KSRC/Documentation/sphinx')
	extensions = ['kerneldoc', 'kernel_abi']
	kerneldoc_bin = '$KSRC/scripts/kernel-doc'
	kerneldoc_srctree = '$tree'
	kerneldoc_verbosity = 1
	project = 'dt-heaps'
	master_doc = 'index'
	primary_domain = 'c'
	highlight_language = 'none'
	EOF

	srctree=$tree sphinx-build -b dummy -E -q -c "$src" "$src" "$dir/out" \
		>"$dir/build.log" 2>&1
	if [ $? -ne 0 ] || [ -s "$dir/build.log" ]; then
		fail "sphinx" "$(grep -m1 -E 'WARNING|ERROR|rror|arning' "$dir/build.log" ||
			head -n1 "$dir/build.log") (see $dir/build.log)"
		cat "$dir/build.log" >&2
	else
		pass "sphinx"
	fi
}

mapfile -t RST < <(project_rst)
if [ ${#RST[@]} -eq 0 ]; then
	fail "docs" "no .rst file under Documentation"
	exit 0
fi

check_abi_entries
check_abi_validate
check_kerneldoc
check_rst
check_toctree
check_sphinx
