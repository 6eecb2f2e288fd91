/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Ordering between units (After=), pure: a start order and the cycles. */

#include <stdbool.h>
#include <stddef.h>

#include "unit.h"

/* names[i] must start after every unit in after[i] (names not in names[]
 * are ignored: missing units and non-services). On success *ret_order holds
 * the n indices in a valid start order (dependencies first; ties by index)
 * and every unit on a cycle is marked in in_cycle[] (n entries) and left
 * out of the order (*ret_n); *ret_cycles gets one line per cycle,
 * "a -> b -> a" (a After= b, b After= a), or NULL when there is none. */
int mgr_order_units(size_t n, char *const *names, char **const *after, size_t **ret_order, size_t *ret_n,
                    bool *in_cycle, char ***ret_cycles);

/* The After= cycles among units[] (n of them): in_cycle[] (n entries) marks
 * the units on one, *ret_cycles gets a line per cycle as above. */
int mgr_unit_cycles(UnitConfig *const *units, size_t n, bool *in_cycle, char ***ret_cycles);
