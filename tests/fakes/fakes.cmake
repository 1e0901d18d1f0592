# SPDX-License-Identifier: Apache-2.0
#
# Included by the twister test apps after find_package(Zephyr): puts the NCS fakes' headers
# before everything else, fixes the MCUboot slot ids, routes sys_reboot() to the fake (the
# board may link the real one) and adds the fakes (NCS models, the RTS/CTS UART device when the
# devicetree has one, SHA-256 for the fake flash_img_check()).

set(XFOTA_FAKES ${CMAKE_CURRENT_LIST_DIR})
set(XFOTA_FAKES_ROOT ${XFOTA_FAKES}/../..)

target_include_directories(zephyr_interface BEFORE INTERFACE ${XFOTA_FAKES}/include)
zephyr_compile_definitions(XFOTA_PRIMARY_AREA_ID=6 XFOTA_SECONDARY_AREA_ID=7
                           XFOTA_TEST_PRIMARY_AREA_ID=6 XFOTA_TEST_SECONDARY_AREA_ID=7)
zephyr_link_libraries(-Wl,--wrap=sys_reboot)

# The fake fota_download schedules by itself as the firmware's prj.conf configures
# CONFIG_FOTA_CLIENT_AUTOSCHEDULE_UPDATE (Kconfig default y), as tests/host/run.sh does.
file(STRINGS ${XFOTA_FAKES_ROOT}/prj.conf XFOTA_AUTOSCHEDULE_OFF
     REGEX "^CONFIG_FOTA_CLIENT_AUTOSCHEDULE_UPDATE=n")
if(XFOTA_AUTOSCHEDULE_OFF)
  set(XFOTA_FAKE_AUTOSCHEDULE 0)
else()
  set(XFOTA_FAKE_AUTOSCHEDULE 1)
endif()

target_include_directories(app PRIVATE ${XFOTA_FAKES})
target_compile_definitions(app PRIVATE FAKE_FOTA_AUTOSCHEDULE=${XFOTA_FAKE_AUTOSCHEDULE})
target_sources(app PRIVATE
  ${XFOTA_FAKES}/fake_ncs.c
  ${XFOTA_FAKES}/fake_uart.c
  ${XFOTA_FAKES}/fake_sha256.c
)
