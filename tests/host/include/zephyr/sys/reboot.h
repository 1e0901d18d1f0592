/* SPDX-License-Identifier: Apache-2.0 -- host stand-in for zephyr/sys/reboot.h */
#ifndef HOST_ZEPHYR_REBOOT_H_
#define HOST_ZEPHYR_REBOOT_H_

#include <zephyr/kernel.h>

#define SYS_REBOOT_WARM 0
#define SYS_REBOOT_COLD 1

FUNC_NORETURN void sys_reboot(int type);

#endif /* HOST_ZEPHYR_REBOOT_H_ */
