# Copyright (c) 2026 xfota authors
# SPDX-License-Identifier: Apache-2.0
#
# The Rust part of the xfota module: rust/xfota-ffi built with cargo for the Rust target that
# matches the Kconfig CPU, provided as the IMPORTED static library `xfota_rust`.
#
# Included from zephyr/CMakeLists.txt, it
#  * checks at configure time that cargo, the toolchain pinned in rust/rust-toolchain.toml and
#    the Rust target are installed, and says what to install if not;
#  * adds two build steps, each running this file in script mode (below):
#      cargo:    `cargo build` with the user's Rust/cargo environment removed (RUSTFLAGS,
#                CARGO_ENCODED_RUSTFLAGS, CARGO_BUILD_*, CARGO_TARGET_*, CARGO_PROFILE_*,
#                RUSTUP_TOOLCHAIN, RUSTC, wrappers, ...) and rustflags from cargo config files
#                disabled, so the cross build gets exactly the flags of rust/Cargo.toml;
#                cargo's dep-info is the DEPFILE and every Cargo.toml, Cargo.lock and
#                rust-toolchain.toml are dependencies, so editing any of them rebuilds;
#      localize: link hygiene. The archive carries compiler_builtins: memcpy/memset/strlen...,
#                __aeabi_mem*, __aeabi_uldivmod, soft-float and libm routines, weak or strong.
#                Linked as is, the image would take such routines from Rust (Zephyr links
#                libc/libgcc last). This step localises, in a copy of the archive, every
#                symbol that the toolchain's libgcc and C library define, and the memory
#                routines, so only the toolchain can satisfy them; what Rust needs and the
#                toolchain lacks (e.g. 128-bit helpers) stays. The ARM __aeabi_mem* helpers
#                the Rust objects call come from src/xfota_mem.c (weak, onto memcpy/memset).
#                scripts/check-link.sh checks the result in the image's map.
#
# Script mode (used by the build steps and by bench/fw/fw.sh):
#   cmake -DXFOTA_STEP=cargo -DXFOTA_CARGO=<cargo> -DXFOTA_RUST_TARGET=<triple>
#         -DXFOTA_CARGO_TARGET_DIR=<dir> [-DXFOTA_RUST_DEBUG=ON] -P xfota_rust.cmake
#   cmake -DXFOTA_STEP=localize -DXFOTA_IN=<libxfota_ffi.a> -DXFOTA_OUT=<archive>
#         -DXFOTA_OBJCOPY=<objcopy> -DXFOTA_NM=<nm> "-DXFOTA_TOOLCHAIN_LIBS=<libgcc.a|libc.a|...>"
#         -P xfota_rust.cmake

set(XFOTA_RUST_CMAKE ${CMAKE_CURRENT_LIST_FILE})
get_filename_component(XFOTA_RUST_DIR ${CMAKE_CURRENT_LIST_DIR}/../rust ABSOLUTE)

# Memory routines the Rust objects may call; never taken from the Rust archive, whatever the
# C library (Zephyr's minimal libc is a Zephyr library, not a toolchain file).
set(XFOTA_MEM_ROUTINES memcpy memmove memset memcmp bcmp strlen)
foreach(f memcpy memmove memset memclr)
  list(APPEND XFOTA_MEM_ROUTINES __aeabi_${f} __aeabi_${f}4 __aeabi_${f}8)
endforeach()

# The environment variables through which a user's Rust setup changes a cargo build: flags,
# target, profile, toolchain override, rustc and its wrappers, unstable options.
function(xfota_rust_user_env out)
  execute_process(COMMAND ${CMAKE_COMMAND} -E environment OUTPUT_VARIABLE env)
  string(REGEX MATCHALL "(^|\n)[A-Za-z_][A-Za-z0-9_]*=" names "${env}")
  set(found)
  foreach(n ${names})
    string(REGEX REPLACE "[\n=]" "" n "${n}")
    if(n MATCHES "^(RUSTFLAGS|RUSTDOCFLAGS|CARGO_ENCODED_RUST(DOC)?FLAGS|CARGO_BUILD_.*|CARGO_TARGET_.*|CARGO_PROFILE_.*|CARGO_INCREMENTAL|CARGO_UNSTABLE_.*|CARGO_CACHE_RUSTC_INFO|RUSTUP_TOOLCHAIN|RUSTC|RUSTDOC|RUSTC_WRAPPER|RUSTC_WORKSPACE_WRAPPER|RUSTC_BOOTSTRAP|RUSTC_LINKER|CARGO_MANIFEST_PATH|__CARGO_.*)$")
      list(APPEND found ${n})
    endif()
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

# The channel pinned in rust/rust-toolchain.toml.
function(xfota_rust_pinned_channel out)
  file(STRINGS ${XFOTA_RUST_DIR}/rust-toolchain.toml line REGEX "^channel *= *\"")
  string(REGEX REPLACE "^channel *= *\"([^\"]+)\".*" "\\1" channel "${line}")
  set(${out} ${channel} PARENT_SCOPE)
endfunction()

if(DEFINED CMAKE_SCRIPT_MODE_FILE AND CMAKE_SCRIPT_MODE_FILE STREQUAL XFOTA_RUST_CMAKE)
  if(XFOTA_STEP STREQUAL "cargo")
    xfota_rust_user_env(names)
    foreach(n ${names})
      unset(ENV{${n}})
    endforeach()
    if(XFOTA_RUST_DEBUG)
      set(profile)
    else()
      set(profile --release)
    endif()
    # An empty CARGO_ENCODED_RUSTFLAGS also overrides build.rustflags / target.*.rustflags of
    # the user's cargo config files (cargo uses the first source of rustflags it finds).
    execute_process(
      COMMAND ${CMAKE_COMMAND} -E env CARGO_ENCODED_RUSTFLAGS= CARGO_TARGET_DIR=${XFOTA_CARGO_TARGET_DIR}
              ${XFOTA_CARGO} build --locked -p xfota-ffi --target ${XFOTA_RUST_TARGET} ${profile}
      WORKING_DIRECTORY ${XFOTA_RUST_DIR}
      RESULT_VARIABLE rc)
    if(rc)
      message(FATAL_ERROR "xfota: cargo build for ${XFOTA_RUST_TARGET} failed (${rc})")
    endif()
  elseif(XFOTA_STEP STREQUAL "localize")
    set(syms ${XFOTA_MEM_ROUTINES})
    string(REPLACE "|" ";" libs "${XFOTA_TOOLCHAIN_LIBS}")
    foreach(lib ${libs})
      # (A library that nm cannot read, e.g. glibc's libm.a linker script, adds nothing.)
      execute_process(COMMAND ${XFOTA_NM} -g --defined-only -P ${lib}
        OUTPUT_VARIABLE out ERROR_QUIET)
      string(REGEX MATCHALL "(^|\n)[^] \n[]+ [A-Za-z] " defined "${out}")
      foreach(s ${defined})
        string(REGEX REPLACE "^\n?([^ ]+) .*" "\\1" s "${s}")
        list(APPEND syms ${s})
      endforeach()
    endforeach()
    list(REMOVE_DUPLICATES syms)
    list(JOIN syms "\n" text)
    file(WRITE ${XFOTA_OUT}.localize "${text}\n")
    execute_process(
      COMMAND ${XFOTA_OBJCOPY} --localize-symbols=${XFOTA_OUT}.localize ${XFOTA_IN} ${XFOTA_OUT}
      RESULT_VARIABLE rc)
    if(rc)
      message(FATAL_ERROR "xfota: ${XFOTA_OBJCOPY} failed on ${XFOTA_IN}")
    endif()
  else()
    message(FATAL_ERROR "xfota_rust.cmake: unknown XFOTA_STEP '${XFOTA_STEP}'")
  endif()
  return()
endif()

# ---- Included from zephyr/CMakeLists.txt -------------------------------------------------

# The Rust target for the Kconfig CPU, and the C flags that select the same multilib.
if(CONFIG_ARCH_POSIX)
  if(CONFIG_64BIT)
    set(XFOTA_RUST_TARGET x86_64-unknown-linux-gnu)
    set(XFOTA_MULTILIB_FLAGS -m64)
  else()
    set(XFOTA_RUST_TARGET i686-unknown-linux-gnu)
    set(XFOTA_MULTILIB_FLAGS -m32)
  endif()
elseif(CONFIG_CPU_CORTEX_M33)
  if(CONFIG_FP_HARDABI)
    set(XFOTA_RUST_TARGET thumbv8m.main-none-eabihf)
    set(XFOTA_MULTILIB_FLAGS -mthumb -mcpu=cortex-m33 -mfloat-abi=hard -mfpu=fpv5-sp-d16)
  else()
    set(XFOTA_RUST_TARGET thumbv8m.main-none-eabi)
    set(XFOTA_MULTILIB_FLAGS -mthumb -mcpu=cortex-m33 -mfloat-abi=soft)
  endif()
elseif(CONFIG_CPU_CORTEX_M3)
  set(XFOTA_RUST_TARGET thumbv7m-none-eabi)
  set(XFOTA_MULTILIB_FLAGS -mthumb -mcpu=cortex-m3)
else()
  message(FATAL_ERROR
    "xfota: no Rust target for this CPU. Supported: Cortex-M33 (nRF91, mps2/an521), "
    "Cortex-M3 (qemu_cortex_m3), native_sim (32/64-bit). Add the triple in "
    "cmake/xfota_rust.cmake and rust/rust-toolchain.toml.")
endif()

if(CONFIG_XFOTA_RUST_DEBUG)
  set(XFOTA_RUST_PROFILE_DIR debug)
else()
  set(XFOTA_RUST_PROFILE_DIR release)
endif()

# The toolchain pinned in rust/rust-toolchain.toml, for the messages below.
xfota_rust_pinned_channel(XFOTA_RUST_CHANNEL)
find_program(XFOTA_CARGO cargo HINTS $ENV{CARGO_HOME}/bin $ENV{HOME}/.cargo/bin)
if(NOT XFOTA_CARGO)
  message(FATAL_ERROR "xfota: cargo not found (PATH, $CARGO_HOME/bin, ~/.cargo/bin). The "
    "module builds its Rust core with cargo: install rustup (https://rustup.rs), run "
    "`rustup toolchain install` in ${XFOTA_RUST_DIR} (Rust ${XFOTA_RUST_CHANNEL} and the "
    "targets of rust-toolchain.toml), then configure again.")
endif()

# The pinned toolchain and the target, run as the build step will (without the user's Rust
# environment; rustup's rustc proxy reads the pin in rust/).
get_filename_component(xfota_bindir ${XFOTA_CARGO} DIRECTORY)
find_program(XFOTA_RUSTC rustc HINTS ${xfota_bindir} NO_DEFAULT_PATH)
find_program(XFOTA_RUSTC rustc)
set(xfota_hint "Install it with rustup: `cd ${XFOTA_RUST_DIR} && rustup toolchain install` "
  "(it reads rust-toolchain.toml: Rust ${XFOTA_RUST_CHANNEL} and its targets), then configure again.")
string(CONCAT xfota_hint ${xfota_hint})
if(NOT XFOTA_RUSTC)
  message(FATAL_ERROR "xfota: rustc not found next to ${XFOTA_CARGO}. ${xfota_hint}")
endif()
xfota_rust_user_env(xfota_names)
set(xfota_env ${CMAKE_COMMAND} -E env)
foreach(n ${xfota_names})
  list(APPEND xfota_env --unset=${n})
endforeach()
execute_process(COMMAND ${xfota_env} ${XFOTA_RUSTC} --version
  WORKING_DIRECTORY ${XFOTA_RUST_DIR} RESULT_VARIABLE xfota_rc
  OUTPUT_VARIABLE xfota_version ERROR_VARIABLE xfota_err
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(xfota_rc)
  string(REGEX REPLACE "\n\n.*" "" xfota_err "${xfota_err}")  # rustup's backtrace
  message(FATAL_ERROR "xfota: the Rust toolchain pinned in rust/rust-toolchain.toml "
    "(${XFOTA_RUST_CHANNEL}) is not available: ${xfota_err}\n${xfota_hint}")
endif()
if(XFOTA_RUST_CHANNEL MATCHES "^[0-9]+\\.[0-9]+(\\.[0-9]+)?$" AND
   NOT xfota_version MATCHES "^rustc ${XFOTA_RUST_CHANNEL}[ -]")
  message(FATAL_ERROR "xfota: rust/rust-toolchain.toml pins Rust ${XFOTA_RUST_CHANNEL}, but "
    "`rustc` in ${XFOTA_RUST_DIR} is '${xfota_version}' (a rustc without rustup ignores the "
    "pin). ${xfota_hint}")
endif()
execute_process(COMMAND ${xfota_env} ${XFOTA_RUSTC} --print sysroot
  WORKING_DIRECTORY ${XFOTA_RUST_DIR} OUTPUT_VARIABLE xfota_sysroot
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT IS_DIRECTORY "${xfota_sysroot}/lib/rustlib/${XFOTA_RUST_TARGET}/lib")
  message(FATAL_ERROR "xfota: Rust ${XFOTA_RUST_CHANNEL} has no standard library for "
    "${XFOTA_RUST_TARGET} (the Rust target of this board's CPU). Install it with: "
    "`rustup target add ${XFOTA_RUST_TARGET} --toolchain ${XFOTA_RUST_CHANNEL}`, then configure again.")
endif()

# The toolchain libraries whose routines the Rust archive must not provide.
set(XFOTA_TOOLCHAIN_LIBS)
foreach(q -print-libgcc-file-name -print-file-name=libc.a -print-file-name=libm.a)
  execute_process(COMMAND ${CMAKE_C_COMPILER} ${XFOTA_MULTILIB_FLAGS} ${q}
    OUTPUT_VARIABLE lib OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(IS_ABSOLUTE "${lib}" AND EXISTS "${lib}")
    get_filename_component(lib ${lib} REALPATH)
    list(APPEND XFOTA_TOOLCHAIN_LIBS ${lib})
  endif()
endforeach()
if(NOT CMAKE_NM OR NOT CMAKE_OBJCOPY)
  message(FATAL_ERROR "xfota: the toolchain's nm and objcopy are needed (CMAKE_NM, CMAKE_OBJCOPY)")
endif()

set(XFOTA_CARGO_TARGET_DIR ${CMAKE_BINARY_DIR}/xfota-rust)
set(XFOTA_RUST_OUT ${XFOTA_CARGO_TARGET_DIR}/${XFOTA_RUST_TARGET}/${XFOTA_RUST_PROFILE_DIR})
set(XFOTA_RUST_CARGO_LIB ${XFOTA_RUST_OUT}/libxfota_ffi.a)
set(XFOTA_RUST_LIB ${XFOTA_CARGO_TARGET_DIR}/libxfota_rust.a)

# cargo's dep-info lists the Rust sources, not the manifests: name them.
file(GLOB XFOTA_RUST_MANIFESTS
  ${XFOTA_RUST_DIR}/Cargo.toml ${XFOTA_RUST_DIR}/Cargo.lock ${XFOTA_RUST_DIR}/rust-toolchain.toml
  ${XFOTA_RUST_DIR}/*/Cargo.toml ${XFOTA_RUST_DIR}/*/build.rs ${XFOTA_RUST_DIR}/.cargo/config.toml)

if(CONFIG_XFOTA_RUST_DEBUG)
  set(XFOTA_RUST_DEBUG_ARG -DXFOTA_RUST_DEBUG=ON)
endif()
add_custom_command(
  OUTPUT ${XFOTA_RUST_CARGO_LIB}
  COMMAND ${CMAKE_COMMAND} -DXFOTA_STEP=cargo -DXFOTA_CARGO=${XFOTA_CARGO}
          -DXFOTA_RUST_TARGET=${XFOTA_RUST_TARGET} -DXFOTA_CARGO_TARGET_DIR=${XFOTA_CARGO_TARGET_DIR}
          ${XFOTA_RUST_DEBUG_ARG} -P ${XFOTA_RUST_CMAKE}
  DEPENDS ${XFOTA_RUST_MANIFESTS} ${XFOTA_RUST_CMAKE}
  DEPFILE ${XFOTA_RUST_OUT}/libxfota_ffi.d
  COMMENT "cargo: xfota-ffi for ${XFOTA_RUST_TARGET} (${XFOTA_RUST_PROFILE_DIR})"
  USES_TERMINAL
  VERBATIM
)
string(REPLACE ";" "|" xfota_libs "${XFOTA_TOOLCHAIN_LIBS}")
add_custom_command(
  OUTPUT ${XFOTA_RUST_LIB}
  COMMAND ${CMAKE_COMMAND} -DXFOTA_STEP=localize -DXFOTA_IN=${XFOTA_RUST_CARGO_LIB}
          -DXFOTA_OUT=${XFOTA_RUST_LIB} -DXFOTA_OBJCOPY=${CMAKE_OBJCOPY} -DXFOTA_NM=${CMAKE_NM}
          -DXFOTA_TOOLCHAIN_LIBS=${xfota_libs} -P ${XFOTA_RUST_CMAKE}
  DEPENDS ${XFOTA_RUST_CARGO_LIB} ${XFOTA_RUST_CMAKE}
  COMMENT "xfota: Rust archive without the toolchain's routines (libgcc, C library)"
  VERBATIM
)
add_custom_target(xfota_rust_build DEPENDS ${XFOTA_RUST_LIB})

add_library(xfota_rust STATIC IMPORTED GLOBAL)
set_target_properties(xfota_rust PROPERTIES IMPORTED_LOCATION ${XFOTA_RUST_LIB})
add_dependencies(xfota_rust xfota_rust_build)
