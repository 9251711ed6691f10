#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Device tree checks, one PASS/FAIL line each.
#
#   dt-check.sh bindings   every schema in bindings/ passes dt-doc-validate
#                          and its examples compile and validate; so does
#                          the vendor binding of tests/bindings/vendor/,
#                          with the project's schemas untouched, and each
#                          tree of tests/bindings/invalid/ is rejected
#                          with the message its "// expect:" line names
#   dt-check.sh dts        every overlay (.dtso) in dts/ applies to QEMU's
#                          DTB and the result validates; every board file
#                          (.dts) compiles and validates
#
# The kernel's "make dt_binding_check" wants a newer dt-schema than
# Debian 12 has, so the dt-schema commands are run here directly, with
# the system python they are installed for.
set -uo pipefail

. "$(dirname "$0")/lib.sh"

OUT=$BUILD/dt
SCHEMA=$OUT/processed-schema.json
mkdir -p "$OUT"

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }

bindings() { find "$TOP/bindings" -name '*.yaml' 2>/dev/null | sort; }

make_schema() {
	# dt-mk-schema adds dt-schema's own core schemas to ours.
	dt-mk-schema -j -o "$SCHEMA" "$TOP/bindings" >"$LOGDIR/dt-mk-schema.log" 2>&1 ||
		die "dt" "dt-mk-schema failed" "$LOGDIR/dt-mk-schema.log"
}

# validate NAME DTB: dt-validate prints one line per problem and still
# exits 0, so its output decides.
validate() {
	local name=$1 dtb=$2 vlog=$OUT/$1.validate.log

	dt-validate -s "$SCHEMA" "$dtb" >"$vlog" 2>&1
	if [ -s "$vlog" ]; then
		fail "$name" "$(head -n1 "$vlog") (see $vlog)"
		cat "$vlog" >&2
	else
		pass "$name"
	fi
}

# dt-extract-example wraps each example in an "example-N" node that
# carries #address-cells/#size-cells of its own; when the example has no
# "reg" at that level (a /reserved-memory or /dma-heaps example), dtc
# calls those cells unnecessary. They are the wrapper's, not ours, so
# that one check is off for examples, as in the kernel's
# dt_binding_check; every other warning still fails.
check_example() {
	local yaml=$1 name=$2 ex=$OUT/$2.example

	dt-extract-example "$yaml" >"$ex.dts" 2>"$ex.log" &&
		dtc -W no-avoid_unnecessary_addr_size -I dts -O dtb \
			-o "$ex.dtb" "$ex.dts" >>"$ex.log" 2>&1
	if [ $? -ne 0 ] || [ -s "$ex.log" ]; then
		fail "example:$name" "does not compile cleanly (see $ex.log)"
		return
	fi
	validate "example:$name" "$ex.dtb"
}

check_bindings() {
	local yaml name

	make_schema
	for yaml in $(bindings); do
		name=${yaml#"$TOP/bindings/"}
		if dt-doc-validate -u "$TOP/bindings" "$yaml" \
			>"$OUT/${name//\//_}.doc.log" 2>&1 &&
			[ ! -s "$OUT/${name//\//_}.doc.log" ]; then
			pass "doc:$name"
		else
			fail "doc:$name" "$(head -n1 "$OUT/${name//\//_}.doc.log")"
		fi
		check_example "$yaml" "${name//\//_}"
	done
}

# A vendor's heap type, as a vendor ships it: a binding file of its own
# next to the project's (tests/bindings/vendor/), no edit to them. Its
# schema and example validate; the project's schemas alone accept its
# compatible; with its binding, trees that break it are rejected, and a
# misspelt "linux," compatible still is.
VENDOR=$TOP/tests/bindings/vendor
check_vendor() {
	local vschema=$OUT/vendor-schema.json yaml name ex f want got

	dt-mk-schema -j -o "$vschema" "$TOP/bindings" "$VENDOR" \
		>"$LOGDIR/dt-mk-schema-vendor.log" 2>&1 ||
		die "dt" "dt-mk-schema failed on the vendor binding" \
			"$LOGDIR/dt-mk-schema-vendor.log"
	# dt-doc-validate takes one directory for references and checks
	# each $id against the file's path in it: the two trees, merged
	# with symbolic links, as they are in a vendor's kernel tree.
	rm -rf "$OUT/vendor-tree"
	mkdir -p "$OUT/vendor-tree"
	cp -rs "$TOP/bindings/." "$VENDOR/." "$OUT/vendor-tree/" ||
		die "dt" "cannot merge the vendor binding with the project's"
	for yaml in $(cd "$VENDOR" && find . -name '*.yaml' | sort); do
		yaml=$OUT/vendor-tree/${yaml#./}
		name=vendor_${yaml##*/}
		if dt-doc-validate -u "$OUT/vendor-tree" "$yaml" \
			>"$OUT/$name.doc.log" 2>&1 && [ ! -s "$OUT/$name.doc.log" ]; then
			pass "vendor:doc:${yaml##*/}"
		else
			fail "vendor:doc:${yaml##*/}" "$(head -n1 "$OUT/$name.doc.log")"
		fi
		SCHEMA=$vschema check_example "$yaml" "$name"
		ex=$OUT/$name.example.dtb
		[ -f "$ex" ] && validate \
			"vendor:project-schemas-accept:${yaml##*/}" "$ex"
	done
	for f in "$TOP"/tests/bindings/invalid/*.dts; do
		name=vendor-invalid:$(basename "$f" .dts)
		want=$(sed -n 's|^// expect: ||p' "$f")
		if [ -z "$want" ] || ! dtc -I dts -O dtb -o "$OUT/${f##*/}.dtb" \
			"$f" >"$OUT/${f##*/}.log" 2>&1; then
			fail "$name" "no '// expect:' line, or does not compile"
			continue
		fi
		got=$(dt-validate -s "$vschema" "$OUT/${f##*/}.dtb" 2>&1)
		if grep -qF -- "$want" <<<"$got"; then
			pass "$name: rejected ($want)"
		else
			fail "$name" "expected \"$want\" from dt-validate, got: $(head -n1 <<<"$got")"
		fi
	done
}

check_dts() {
	local f name dtb

	make_schema
	for f in "$TOP"/dts/*.dtso; do
		[ -f "$f" ] || continue
		name=$(basename "$f")
		dtb=$OUT/${name%.dtso}.dtb
		if ! "$TOP/scripts/vm.sh" dtb "$f" >/dev/null 2>"$OUT/$name.log"; then
			fail "$name" "$(grep -m1 FAILED "$OUT/$name.log")"
			continue
		fi
		cp "$BUILD/vm/vm.dtb" "$dtb"
		# QEMU's own platform-bus node breaks dt-schema's qemu,platform
		# schema (it carries interrupt-parent); it is not ours to judge.
		fdtput -r "$dtb" /platform-bus@c000000 2>/dev/null
		validate "$name" "$dtb"
	done
	for f in "$TOP"/dts/*.dts; do
		[ -f "$f" ] || continue
		name=$(basename "$f")
		dtb=$OUT/${name%.dts}.dtb
		if ! dtc -I dts -O dtb -i "$TOP/dts" -o "$dtb" "$f" \
			>"$OUT/$name.log" 2>&1 || [ -s "$OUT/$name.log" ]; then
			fail "$name" "dtc: $(head -n1 "$OUT/$name.log")"
			continue
		fi
		validate "$name" "$dtb"
	done
}

case "${1:-}" in
bindings)	check_bindings; check_vendor ;;
dts)		check_dts ;;
*)		die "dt" "usage: dt-check.sh bindings|dts" ;;
esac
