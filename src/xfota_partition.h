/*
 * Copyright (c) 2026 xfota authors
 * SPDX-License-Identifier: Apache-2.0
 *
 * Flash area ids of MCUboot's primary (running image) and secondary (download) slots.
 */

#ifndef XFOTA_PARTITION_H_
#define XFOTA_PARTITION_H_

#if !defined(XFOTA_SECONDARY_AREA_ID)
#if defined(CONFIG_PARTITION_MANAGER_ENABLED)
/* nRF91 sysbuild builds use the Partition Manager (sdk-nrf include/flash_map_pm.h). */
#include <pm_config.h>
#define XFOTA_PRIMARY_AREA_ID PM_MCUBOOT_PRIMARY_ID
#define XFOTA_SECONDARY_AREA_ID PM_MCUBOOT_SECONDARY_ID
#else
#include <zephyr/storage/flash_map.h>
#define XFOTA_PRIMARY_AREA_ID FIXED_PARTITION_ID(slot0_partition)
#define XFOTA_SECONDARY_AREA_ID FIXED_PARTITION_ID(slot1_partition)
#endif
#endif

#endif /* XFOTA_PARTITION_H_ */
