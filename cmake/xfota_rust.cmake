# Copyright (c) 2026 xfota authors
# SPDX-License-Identifier: Apache-2.0
#
# Builds rust/xfota-ffi with cargo for the Rust target matching the Kconfig CPU and provides it
# as the IMPORTED static library `xfota_rust` (linked as a normal archive, never
# whole-archive, so unused objects are dropped). cargo's dep-info file is the DEPFILE: any change
# to a Rust source, Cargo.toml or Cargo.lock rebuilds it.

set(XFOTA_RUST_DIR ${CMAKE_CURRENT_LIST_DIR}/../rust)

if(CONFIG_ARCH_POSIX)
  if(CONFIG_64BIT)
    set(XFOTA_RUST_TARGET x86_64-unknown-linux-gnu)
  else()
    set(XFOTA_RUST_TARGET i686-unknown-linux-gnu)
  endif()
elseif(CONFIG_CPU_CORTEX_M33)
  if(CONFIG_FP_HARDABI)
    set(XFOTA_RUST_TARGET thumbv8m.main-none-eabihf)
  else()
    set(XFOTA_RUST_TARGET thumbv8m.main-none-eabi)
  endif()
elseif(CONFIG_CPU_CORTEX_M3)
  set(XFOTA_RUST_TARGET thumbv7m-none-eabi)
else()
  message(FATAL_ERROR
    "xfota: no Rust target for this CPU. Supported: Cortex-M33 (nRF91, mps2/an521), "
    "Cortex-M3 (qemu_cortex_m3), native_sim (32/64-bit). Add the triple in "
    "cmake/xfota_rust.cmake and rust/rust-toolchain.toml.")
endif()

if(CONFIG_XFOTA_RUST_DEBUG)
  set(XFOTA_CARGO_PROFILE_ARGS)
  set(XFOTA_RUST_PROFILE_DIR debug)
else()
  set(XFOTA_CARGO_PROFILE_ARGS --release)
  set(XFOTA_RUST_PROFILE_DIR release)
endif()

find_program(XFOTA_CARGO cargo HINTS $ENV{HOME}/.cargo/bin REQUIRED)

set(XFOTA_CARGO_TARGET_DIR ${CMAKE_BINARY_DIR}/xfota-rust)
set(XFOTA_RUST_OUT ${XFOTA_CARGO_TARGET_DIR}/${XFOTA_RUST_TARGET}/${XFOTA_RUST_PROFILE_DIR})
set(XFOTA_RUST_LIB ${XFOTA_RUST_OUT}/libxfota_ffi.a)

add_custom_command(
  OUTPUT ${XFOTA_RUST_LIB}
  COMMAND ${CMAKE_COMMAND} -E env CARGO_TARGET_DIR=${XFOTA_CARGO_TARGET_DIR}
          ${XFOTA_CARGO} build --locked -p xfota-ffi --target ${XFOTA_RUST_TARGET}
          ${XFOTA_CARGO_PROFILE_ARGS}
  # rust-toolchain.toml in this directory pins the toolchain.
  WORKING_DIRECTORY ${XFOTA_RUST_DIR}
  DEPFILE ${XFOTA_RUST_OUT}/libxfota_ffi.d
  COMMENT "cargo: xfota-ffi for ${XFOTA_RUST_TARGET} (${XFOTA_RUST_PROFILE_DIR})"
  USES_TERMINAL
)
add_custom_target(xfota_rust_build DEPENDS ${XFOTA_RUST_LIB})

add_library(xfota_rust STATIC IMPORTED GLOBAL)
set_target_properties(xfota_rust PROPERTIES IMPORTED_LOCATION ${XFOTA_RUST_LIB})
add_dependencies(xfota_rust xfota_rust_build)
