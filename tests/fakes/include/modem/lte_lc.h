/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * FAKE of sdk-nrf v3.2.4 include/modem/lte_lc.h, PDN part (CONFIG_LTE_LC_PDN_MODULE).
 */
#ifndef FAKE_LTE_LC_H_
#define FAKE_LTE_LC_H_

#include <stdint.h>

enum lte_lc_pdn_family {
	LTE_LC_PDN_FAM_IPV4 = 0,
	LTE_LC_PDN_FAM_IPV6 = 1,
	LTE_LC_PDN_FAM_IPV4V6 = 2,
	LTE_LC_PDN_FAM_NONIP = 3,
};

struct lte_lc_pdn_pdp_context_opts {
	uint8_t ip4_addr_alloc;
	uint8_t nslpi;
	uint8_t secure_pco;
};

int lte_lc_pdn_ctx_create(uint8_t *cid);
int lte_lc_pdn_ctx_configure(uint8_t cid, const char *apn, enum lte_lc_pdn_family family,
			     struct lte_lc_pdn_pdp_context_opts *opts);
int lte_lc_pdn_ctx_destroy(uint8_t cid);
int lte_lc_pdn_activate(uint8_t cid, int *esm, enum lte_lc_pdn_family *family);
int lte_lc_pdn_deactivate(uint8_t cid);
int lte_lc_pdn_id_get(uint8_t cid);

#endif /* FAKE_LTE_LC_H_ */
