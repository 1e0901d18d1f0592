/* SPDX-License-Identifier: Apache-2.0 -- host stand-in for zephyr/logging/log_ctrl.h */
#ifndef HOST_ZEPHYR_LOG_CTRL_H_
#define HOST_ZEPHYR_LOG_CTRL_H_
#include <zephyr/logging/log.h>
#endif
