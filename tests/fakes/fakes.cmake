# SPDX-License-Identifier: Apache-2.0
#
# Included by the twister test apps after find_package(Zephyr): puts the NCS fakes' headers
# before everything else, fixes the secondary-slot id, routes sys_reboot() to the fake
# (the board may link the real one) and adds the fakes.

set(XFOTA_FAKES ${CMAKE_CURRENT_LIST_DIR})

target_include_directories(zephyr_interface BEFORE INTERFACE ${XFOTA_FAKES}/include)
zephyr_compile_definitions(XFOTA_SECONDARY_AREA_ID=7 XFOTA_TEST_SECONDARY_AREA_ID=7)
zephyr_link_libraries(-Wl,--wrap=sys_reboot)

target_include_directories(app PRIVATE ${XFOTA_FAKES})
target_sources(app PRIVATE ${XFOTA_FAKES}/fake_ncs.c)
