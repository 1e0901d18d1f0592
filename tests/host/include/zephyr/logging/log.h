/* SPDX-License-Identifier: Apache-2.0 -- host stand-in for zephyr/logging/log.h */
#ifndef HOST_ZEPHYR_LOG_H_
#define HOST_ZEPHYR_LOG_H_

#include <stdio.h>

#define LOG_LEVEL_NONE 0
#define LOG_LEVEL_ERR 1
#define LOG_LEVEL_WRN 2
#define LOG_LEVEL_INF 3
#define LOG_LEVEL_DBG 4

extern int host_log_lines;
#define HOST_LOG(lvl, ...)                                                                         \
	do {                                                                                       \
		host_log_lines++;                                                                  \
		fprintf(stderr, "[" lvl "] " __VA_ARGS__);                                         \
		fprintf(stderr, "\n");                                                             \
	} while (0)
#define LOG_ERR(...) HOST_LOG("err", __VA_ARGS__)
#define LOG_WRN(...) HOST_LOG("wrn", __VA_ARGS__)
#define LOG_INF(...) HOST_LOG("inf", __VA_ARGS__)
#define LOG_DBG(...) HOST_LOG("dbg", __VA_ARGS__)
#define LOG_PANIC() (void)0
#define LOG_MODULE_REGISTER(...) extern int host_log_lines
#define LOG_MODULE_DECLARE(...) extern int host_log_lines

#endif /* HOST_ZEPHYR_LOG_H_ */
