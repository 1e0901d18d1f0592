#!/usr/bin/env python3
"""Fails when the NCS build files or the C shell use a Kconfig symbol, header or API that
docs/ncs-compat.md does not list (with where it is defined in sdk-nrf v3.2.4 / zephyr /
sdk-nrfxlib). Keeps the compatibility table honest as the code changes."""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
doc = (root / "docs/ncs-compat.md").read_text()
documented = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_./<>]*)", doc))
documented |= {d.strip("<>") for d in documented}

C_KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "defined", "case"}
# Calls through this repository's own function-pointer variables and parameters.
LOCAL_POINTERS = {"out_notify", "out_write", "read_cb", "tx_fn"}
LIBC = {"memcpy", "memset", "strcmp", "strlen", "snprintf", "strncmp"}

def own_symbols():
    """Functions and macros defined by this repository's C sources and headers."""
    names = set()
    for f in list((root / "src").glob("*.[ch]")) + list((root / "include").rglob("*.h")) + \
            [root / "rust/xfota-ffi/include/xfota.h"]:
        text = f.read_text()
        names |= set(re.findall(r"^[a-zA-Z_][\w \*]*?\b([a-z_]\w*)\s*\([^;]*$", text, re.M))
        names |= set(re.findall(r"#define\s+(\w+)", text))
        names |= set(re.findall(r"\b(xfota_\w+|at_host_\w+|at_uart_\w+|XFOTA_\w+)", text))
    return names

def wanted():
    items = {}
    for conf in ["prj.conf", "sysbuild.conf", *map(str, (root / "boards").glob("*.conf")),
                 *map(str, (root / "sysbuild").glob("*.conf"))]:
        path = root / conf
        for m in re.finditer(r"^((?:SB_)?CONFIG_(\w+))=", path.read_text(), re.M):
            name = m.group(2)
            if not name.startswith("XFOTA"):
                items.setdefault(m.group(1), f"{path.relative_to(root)}")
    for f in [*(root / "src").glob("*.c"), root / "cmake/xfota_rust.cmake",
              root / "zephyr/CMakeLists.txt", root / "zephyr/Kconfig"]:
        text = f.read_text()
        if f.suffix == ".c":
            text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
            text = re.sub(r"//[^\n]*", "", text)
        rel = str(f.relative_to(root))
        text = text.replace("\\\n", " ")  # Kconfig line continuations
        for m in re.finditer(r"\bCONFIG_(\w+)", text):
            if not m.group(1).startswith("XFOTA"):
                items.setdefault("CONFIG_" + m.group(1), rel)
        for m in re.finditer(r"^\s*(?:select|depends on|default \w+ if)\s+(.*)$", text, re.M):
            for sym in re.findall(r"\b([A-Z][A-Z0-9_]+)\b", m.group(1)):
                if not sym.startswith(("XFOTA", "DT_CHOSEN_")):
                    items.setdefault("CONFIG_" + sym, rel)
        if f.suffix == ".c":
            for m in re.finditer(r"#include\s+<([^>]+)>", text):
                h = m.group(1)
                if not h.startswith("xfota") and h not in {"errno.h", "string.h", "stdbool.h",
                                                           "stddef.h", "stdint.h"}:
                    items.setdefault(h, rel)
            for m in re.finditer(r"\b([A-Za-z_]\w*)\s*\(", text):
                items.setdefault(m.group(1), rel)
    own = own_symbols()
    return {k: v for k, v in items.items()
            if k not in C_KEYWORDS | LIBC | LOCAL_POINTERS and k not in own}

missing = []
for name, where in sorted(wanted().items()):
    bare = name[len("CONFIG_"):] if name.startswith("CONFIG_") else name
    bare = bare[len("SB_CONFIG_"):] if name.startswith("SB_CONFIG_") else bare
    if not ({name, bare, "CONFIG_" + bare} & documented):
        missing.append(f"  {name}  (used in {where})")

if missing:
    print("docs/ncs-compat.md does not list these (add each with where it is defined):")
    print("\n".join(missing))
    print(f"ncs-compat: 0 passed, {len(missing)} failed")
    sys.exit(1)
print(f"ncs-compat: every symbol used is documented ({len(wanted())} checked)")
