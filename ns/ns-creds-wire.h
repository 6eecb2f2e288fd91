/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internal to ns/: the record a resolver process writes to its pipe, once,
 * before it exits. Fixed size, so the parent takes nothing but a complete
 * record of exactly this size, and checks every count and length in it. */

#include <stdint.h>

#include "ns-creds.h"

#define NS_CREDS_WIRE_MAGIC UINT32_C(0x31445243)        /* "CRD1" */
/* name, home and shell, NUL-terminated, back to back: they come from one
 * getpwnam_r() buffer of this size, so they always fit. */
#define NS_CREDS_STRINGS_SIZE 4096

typedef struct NsCredsWire {
        uint32_t magic;
        int32_t error;                  /* positive errno; 0: resolved */
        char message[sizeof(((CrlError *) 0)->message)]; /* with error: NUL-terminated, may be empty */
        uint32_t uid, gid;
        uint8_t set_ids, set_groups, has_user;
        uint8_t reserved;
        uint32_t n_groups;
        uint32_t name_len, home_len, shell_len;
        char strings[NS_CREDS_STRINGS_SIZE];
        uint32_t groups[NS_CREDS_GROUPS_MAX];
} NsCredsWire;

/* The result of ns_creds_resolve() (r, and c or e) as a record. */
void ns_creds_wire_encode(NsCredsWire *w, int r, const NsCreds *c, const CrlError *e);
/* Exactly one record of n bytes at buf: -EBADMSG (reterr unset) when it is
 * not one; the resolver's error as it set it; or 0 and *ret. */
int ns_creds_wire_decode(const void *buf, size_t n, NsCreds **ret, CrlError *reterr);
