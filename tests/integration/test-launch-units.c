/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit text loaded as corrald loads it, launched, and what the kernel shows
 * inside the service: a key that parses to something weaker than written
 * would show here. */
#include <inttypes.h>
#include <linux/capability.h>

#include "launch-util.h"

/* Every capability this kernel has that this test may hand on (a container
 * may have a smaller bounding set), and the numbers of those it may not. */
static uint64_t cap_full;
static char cap_missing[256];

static UnitConfig *unit_from_text(const char *text) {
        return unit_load_text("caps", text);
}

/* CapBnd and CapAmb of a shell run in the unit given by [Service] lines. */
static void caps_of(const char *lines, uint64_t *bnd, uint64_t *amb) {
        char text[1024];
        UnitConfig *u;
        Run run;
        char *p;

        *bnd = *amb = UINT64_MAX;
        (void) snprintf(text, sizeof(text), "[Service]\nExecStart=/bin/true\n%s", lines);
        u = unit_from_text(text);
        CHECK(u != NULL, "unit did not load:\n%s", lines);
        if (!u)
                return;
        run_sh(u, "grep -E '^Cap(Bnd|Amb):' /proc/self/status", &run);
        CHECK(run.r == 0 && run.code == 0, "launch: %d %s (%s)", run.r, run.error.message, run.out);
        p = strstr(run.out, "CapBnd:");
        if (p)
                *bnd = strtoull(p + 7, NULL, 16);
        p = strstr(run.out, "CapAmb:");
        if (p)
                *amb = strtoull(p + 7, NULL, 16);
        unit_config_free(u);
}

#define B(c) (UINT64_C(1) << (c))

static void test_bounding_set(void) {
        uint64_t bnd, amb;

        caps_of("CapabilityBoundingSet=\n", &bnd, &amb);
        CHECK(bnd == 0, "empty CapabilityBoundingSet=: CapBnd %016" PRIx64 ", want 0", bnd);

        caps_of("CapabilityBoundingSet=CAP_NET_ADMIN\nCapabilityBoundingSet=~\n", &bnd, &amb);
        CHECK(bnd == cap_full, "'~' after a set: CapBnd %016" PRIx64 ", want %016" PRIx64, bnd, cap_full);

        caps_of("CapabilityBoundingSet=~CAP_SYS_ADMIN\nCapabilityBoundingSet=~CAP_NET_RAW\n", &bnd, &amb);
        CHECK(bnd == (cap_full & ~B(CAP_SYS_ADMIN) & ~B(CAP_NET_RAW)),
              "~SYS_ADMIN then ~NET_RAW: CapBnd %016" PRIx64, bnd);

        caps_of("CapabilityBoundingSet=CAP_KILL\nCapabilityBoundingSet=CAP_NET_RAW\n", &bnd, &amb);
        CHECK(bnd == (B(CAP_KILL) | B(CAP_NET_RAW)), "KILL then NET_RAW: CapBnd %016" PRIx64, bnd);
}

static void test_ambient(void) {
        uint64_t bnd, amb;

        char lines[512];

        /* Ambient capabilities of a non-root user survive execve(); only
         * capabilities this test holds can be raised. */
        (void) snprintf(lines, sizeof(lines), "User=nobody\nAmbientCapabilities=~CAP_SYS_ADMIN%s\n", cap_missing);
        caps_of(lines, &bnd, &amb);
        CHECK(amb == (cap_full & ~B(CAP_SYS_ADMIN)),
              "AmbientCapabilities=~CAP_SYS_ADMIN first: CapAmb %016" PRIx64 ", want %016" PRIx64,
              amb, cap_full & ~B(CAP_SYS_ADMIN));
        CHECK(bnd == cap_full, "CapBnd %016" PRIx64, bnd);

        caps_of("User=nobody\nAmbientCapabilities=CAP_KILL CAP_NET_RAW\nAmbientCapabilities=~CAP_KILL\n", &bnd, &amb);
        CHECK(amb == B(CAP_NET_RAW), "KILL NET_RAW then ~KILL: CapAmb %016" PRIx64, amb);

        caps_of("User=nobody\nCapabilityBoundingSet=CAP_NET_RAW CAP_KILL\nAmbientCapabilities=CAP_NET_RAW\n"
                "AmbientCapabilities=\n", &bnd, &amb);
        CHECK(amb == 0 && bnd == (B(CAP_NET_RAW) | B(CAP_KILL)),
              "empty AmbientCapabilities=: CapAmb %016" PRIx64 " CapBnd %016" PRIx64, amb, bnd);
}

int main(void) {
        char *last = NULL, *own = NULL;
        uint64_t kernel;

        require_root();
        if (sh(&last, "cat /proc/sys/kernel/cap_last_cap") != 0 ||
            sh(&own, "sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status") != 0)
                return 77;
        kernel = (UINT64_C(2) << atoi(last)) - 1;
        cap_full = kernel & strtoull(own, NULL, 16);
        for (int c = 0; c < 64; c++)
                if (kernel & ~cap_full & B(c))
                        (void) snprintf(cap_missing + strlen(cap_missing), sizeof(cap_missing) - strlen(cap_missing),
                                        " %d", c);
        printf("capabilities: kernel %016" PRIx64 ", ours %016" PRIx64 "\n", kernel, cap_full);
        free(last);
        free(own);
        test_bounding_set();
        test_ambient();
        return finish("test-launch-units");
}
