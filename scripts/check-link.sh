#!/usr/bin/env bash
# Link hygiene of a firmware image that contains the Rust archive, read from the GNU ld map:
#
#   scripts/check-link.sh [--archive REGEX] [--nm NM] [-v] <zephyr.map>...
#   scripts/check-link.sh --bench      (the test command's step, below)
#
# Fails when the image takes from the Rust archive (libxfota_rust.a / libxfota_ffi.a)
#  * a memory routine: memcpy, memmove, memset, memcmp, bcmp, strlen, __aeabi_mem* or
#    compiler_builtins::mem::*, or
#  * any other routine that the toolchain's libgcc or C library linked into the same image
#    defines as well (__aeabi_uldivmod, soft-float helpers, compiler-rt objects, libm, ...):
#    the toolchain libraries are the libgcc/libc/libm archives in the map's LOAD lines, read
#    with nm.
# compiler_builtins code that the toolchain does not have (e.g. 128-bit helpers) is listed but
# is not a failure. Prints what the Rust archive adds to the image (its own code and data, and
# compiler_builtins) and "check-link: N passed, M failed" at the end.
#
# --bench: links bench/fw's firmware for each Cortex-M target with picolibc and newlib-nano the
# way the Zephyr module links (bench/fw/fw.sh) and checks each map; as a control, the same
# firmware with the archive as cargo makes it (no localising, no shims) must fail the check.
set -euo pipefail

archive='libxfota_(ffi|rust)\.a\('
nm_cmd=${NM:-}
verbose=0
maps=()
bench=0
while [ $# -gt 0 ]; do
	case $1 in
	--archive) archive=$2; shift 2 ;;
	--nm) nm_cmd=$2; shift 2 ;;
	-v) verbose=1; shift ;;
	--bench) bench=1; shift ;;
	-h | --help) sed -n '2,16p' "$0"; exit 0 ;;
	*) maps+=("$1"); shift ;;
	esac
done
[ ${#maps[@]} -gt 0 ] || [ $bench -eq 1 ] ||
	{ echo "usage: $0 [--archive REGEX] [--nm NM] [-v] <map>... | --bench" >&2; exit 2; }

if [ $bench -eq 1 ]; then
	# shellcheck source=../bench/fw/fw.sh
	source "$(dirname "$0")/../bench/fw/fw.sh"
	passed=0 failed=0
	for FW_LIBC in picolibc newlib-nano; do
		for t in "${FW_TARGETS[@]}"; do
			lib=$(fw_staticlib "$t" 2>/dev/null)
			elf=$FW_OUT/$t/$FW_LIBC/check-link.elf
			fw_link "$t" "$elf" -DWITH_XFOTA "$FW_DIR/fw_min.c" "$lib"
			if out=$("$0" "${elf%.elf}.map"); then
				echo "check-link --bench $t $FW_LIBC: OK ($(grep -o 'Rust archive in the image: [0-9]* B' <<<"$out"))"
				passed=$((passed + 1))
			else
				echo "$out"
				echo "check-link --bench $t $FW_LIBC: FAIL"
				failed=$((failed + 1))
			fi
		done
		# Control: the raw archive before the C library gives the image its memory routines.
		t=${FW_TARGETS[0]}
		ctl=$FW_OUT/$t/$FW_LIBC/check-link-control.elf
		fw_link_raw "$t" "$ctl" -DWITH_XFOTA "$FW_DIR/fw_min.c" "$(fw_cargo_lib "$t")"
		if out=$("$0" "${ctl%.elf}.map"); then
			echo "check-link --bench control $t $FW_LIBC: FAIL: the raw archive passes; the check is blind"
			failed=$((failed + 1))
		else
			echo "check-link --bench control $t $FW_LIBC: OK (raw archive flagged: $(grep -o 'memory routines from the Rust archive: [0-9]* ([0-9]* B)' <<<"$out"))"
			passed=$((passed + 1))
		fi
	done
	echo "check-link: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Defined global symbols of the toolchain libraries named in a map's LOAD lines.
toolchain_symbols() {
	local map=$1 lib nm
	: >"$tmp/toolchain"
	while read -r lib; do
		[ -f "$lib" ] || continue
		for nm in $nm_cmd "${lib%%/lib/gcc/*}/bin/$(basename "$(dirname "$(dirname "${lib#*/lib/gcc/}")")")-nm" nm llvm-nm; do
			# (the second candidate is <prefix>/bin/<triple>-nm for <prefix>/lib/gcc/<triple>/<ver>/libgcc.a)
			if "$nm" -g --defined-only -P "$lib" 2>/dev/null |
				awk 'NF >= 2 && $2 ~ /^[A-Za-z]$/ { print $1 }' >>"$tmp/toolchain"; then
				echo "$lib"
				break
			fi
		done
	done < <(awk '/^LOAD / && $2 ~ /\/lib(gcc|c|c_nano|m|g)\.a$/ { print $2 }' "$map" | sort -u)
}

failed=0 passed=0
for map in "${maps[@]}"; do
	echo "check-link: $map"
	libs=$(toolchain_symbols "$map")
	if [ -n "$libs" ]; then
		echo "  toolchain libraries: $(echo "$libs" | tr '\n' ' ')"
	else
		echo "  toolchain libraries: none in the map's LOAD lines (only memory routines checked)"
	fi
	sort -u "$tmp/toolchain" -o "$tmp/toolchain"
	awk -v archive="$archive" -v verbose="$verbose" -v tcfile="$tmp/toolchain" '
	BEGIN {
		while ((getline s < tcfile) > 0) tc[s] = 1
		mem = "^(memcpy|memmove|memset|memcmp|bcmp|strlen|__aeabi_mem(cpy|move|set|clr)[48]?)$"
	}
	/^Linker script and memory map/ { inmap = 1; next }
	!inmap { next }
	# An output section: a name in column 0.
	/^[^ \t]/ {
		out = $1
		alloc = (out !~ /^(\.debug|\.comment|\.ARM\.attributes|\.note\.GNU-stack|\.stab|\.gnu\.attributes|\.llvm|\.symtab|\.strtab|\.shstrtab|\.gnu_debuglink|\.zdebug|\/DISCARD\/|LOAD$|OUTPUT\()/)
		cur = ""
		next
	}
	function hex(h,    i, v) {
		v = 0; h = tolower(h); sub(/^0x/, "", h)
		for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
		return v
	}
	function input_section(name, size, file,    m) {
		cur = ""
		if (!alloc || size == 0 || file !~ archive) return
		m = file; sub(/^.*\(/, "", m); sub(/\)$/, "", m)
		cur = ++n
		sec[cur] = name; bytes[cur] = size; member[cur] = m; outsec[cur] = out
		cb[cur] = (m ~ /^compiler_builtins-/)
		syms[cur] = ""
		classify(cur, name)
	}
	function classify(i, s,    base) {
		base = s; sub(/^\.(text|rodata|data|bss)\./, "", base)
		if (base ~ mem || s ~ /compiler_builtins::mem::/ || s ~ /compiler_builtins3mem/) kind[i] = "memory routine"
		else if (cb[i] && (base in tc) && kind[i] == "") kind[i] = "toolchain duplicate"
	}
	# " .text.name 0xADDR 0xSIZE file" or " .text.name" alone, then "   0xADDR 0xSIZE file".
	/^ [^ *]/ && $1 !~ /[()]/ {
		if (NF >= 4 && $2 ~ /^0x/ && $3 ~ /^0x/) { input_section($1, hex($3), $4) }
		else if (NF == 1) { pending = $1; cur = "" }
		next
	}
	/^ +0x[0-9a-f]+ +0x[0-9a-f]+ +[^ ]/ && NF >= 3 {
		if (pending != "") input_section(pending, hex($2), $3)
		pending = ""
		next
	}
	# "   0xADDR   symbol" inside one of our input sections.
	/^ +0x[0-9a-f]+ +[^ 0(]/ && cur != "" && $0 !~ / = |PROVIDE/ {
		s = $0; sub(/^ +0x[0-9a-f]+ +/, "", s)
		syms[cur] = syms[cur] (syms[cur] == "" ? "" : ", ") s
		classify(cur, s)
		next
	}
	{ pending = "" }
	END {
		for (i = 1; i <= n; i++) {
			if (cb[i]) cbb += bytes[i]
			else {
				own += bytes[i]
				if (!(outsec[i] in by)) order[++no] = outsec[i]
				by[outsec[i]] += bytes[i]
			}
			label = syms[i] != "" ? syms[i] : sec[i]
			if (kind[i] == "memory routine") { memb += bytes[i]; memn++; ml = ml sprintf("    %5d  %s\n", bytes[i], label) }
			else if (kind[i] == "toolchain duplicate") { dupb += bytes[i]; dupn++; dl = dl sprintf("    %5d  %s\n", bytes[i], label) }
			else if (cb[i]) { othb += bytes[i]; othn++; ol = ol sprintf("    %5d  %s\n", bytes[i], label) }
		}
		printf "  Rust archive in the image: %d B (Rust code and data %d B, compiler_builtins %d B)\n", own + cbb, own, cbb
		printf "  Rust code and data by output section:"
		for (i = 1; i <= no; i++) printf " %s %d", order[i], by[order[i]]
		printf "\n"
		printf "  memory routines from the Rust archive: %d (%d B)\n%s", memn, memb, ml
		printf "  toolchain routines duplicated from the Rust archive: %d (%d B)\n%s", dupn, dupb, dl
		printf "  compiler_builtins routines the toolchain lacks (kept): %d (%d B)\n%s", othn, othb, ol
		if (verbose) for (i = 1; i <= n; i++) if (!cb[i]) printf "    own %5d  %s %s\n", bytes[i], sec[i], syms[i]
		exit (memn + dupn > 0) ? 1 : 0
	}' "$map" && rc=0 || rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "  OK"
		passed=$((passed + 1))
	else
		echo "  FAIL: the image takes routines from the Rust archive that the C library/libgcc provide"
		failed=$((failed + 1))
	fi
done
echo "check-link: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
