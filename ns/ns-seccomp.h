/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A unit's seccomp filters, built once per loaded unit (ns-seccomp.c). */

#include <linux/filter.h>

#include "error.h"
#include "unit.h"

#define NS_SECCOMP_FILTERS_MAX 2

typedef struct NsSeccomp {
        size_t n;
        struct sock_fprog progs[NS_SECCOMP_FILTERS_MAX];       /* owned, loaded in this order */
} NsSeccomp;

/* The filters u asks for (*ret NULL when none). The kernel and libseccomp
 * are asked about architectures only; nothing is loaded here. */
int ns_seccomp_build(const UnitConfig *u, NsSeccomp **ret, CrlError *reterr);
NsSeccomp *ns_seccomp_free(NsSeccomp *s);
static inline void ns_seccomp_freep(NsSeccomp **s) {
        *s = ns_seccomp_free(*s);
}
/* The child's last step before execve: load s (NULL: nothing). No
 * allocation. */
int ns_seccomp_apply(const NsSeccomp *s);
