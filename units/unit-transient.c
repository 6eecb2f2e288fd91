/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A transient unit (RunTransient) as unit-file text, so that corrald can
 * keep it in a file and read it back after a restart, as systemd does with
 * /run/systemd/transient: every property goes into its key's section, in
 * the order given, after the argv's ExecStart=. */
#include <stdio.h>
#include <string.h>

#include "unit-load-internal.h"
#include "unit-value.h"

#define PROPERTY_WHITESPACE " \t"

int unit_property_split(const char *property, char **ret_key, char **ret_value, const char **ret_reason) {
        const char *eq = strchr(property, '='), *v;
        size_t n, k = 0;

        *ret_key = NULL;
        if (!eq) {
                *ret_reason = "is not a KEY=VALUE property";
                return -EINVAL;
        }
        *ret_key = strndup(property, eq - property);
        if (!*ret_key)
                return -ENOMEM;
        if (strpbrk(eq, "\r\n")) {
                *ret_reason = "holds a line break, which would end its unit file line";
                return -EINVAL;
        }
        v = eq + 1 + strspn(eq + 1, PROPERTY_WHITESPACE);
        n = strlen(v);
        while (n > 0 && strchr(PROPERTY_WHITESPACE, v[n - 1]))
                n--;
        /* An odd number of backslashes at the end continues a unit file line. */
        while (k < n && v[n - 1 - k] == '\\')
                k++;
        if (k % 2 == 1) {
                *ret_reason = "ends in a backslash, which would continue its unit file line";
                return -EINVAL;
        }
        *ret_value = strndup(v, n);
        return *ret_value ? 0 : -ENOMEM;
}

static const char *const sections[] = { "Unit", "Service", "Network", "Install" };

/* The section index of a property's key; -EINVAL for no known key. */
static int property_section(const char *property, char **ret_value) {
        _cleanup_free_ char *key = NULL;
        const char *reason;
        const UnitKey *k;
        int r;

        r = unit_property_split(property, &key, ret_value, &reason);
        if (r < 0)
                return r;
        k = unit_key_lookup(NULL, key);
        for (size_t i = 0; k && i < ELEMENTSOF(sections); i++)
                if (streq(k->section, sections[i]))
                        return (int) i;
        *ret_value = mfree(*ret_value);
        return -EINVAL;
}

static int write_section(FILE *f, size_t section, bool header, char *const *properties) {
        int r;

        STRV_FOREACH(p, properties) {
                _cleanup_free_ char *value = NULL;

                r = property_section(*p, &value);
                if (r < 0)
                        return r;
                if ((size_t) r != section)
                        continue;
                if (!header)
                        fprintf(f, "\n[%s]\n", sections[section]);
                header = true;
                fprintf(f, "%.*s=%s\n", (int) strcspn(*p, "="), *p, value);
        }
        return 0;
}

int unit_transient_text(const char *name, char *const *argv, char *const *properties, char **ret) {
        _cleanup_free_ char *buf = NULL, *exec = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        r = exec_command_format_argv(argv, &exec);
        if (r < 0)
                return r;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# The transient unit %s (RunTransient), kept for a restarted corrald.\n", name);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(sections); i++) {
                bool service = streq(sections[i], "Service");

                if (service)
                        fprintf(f, "\n[Service]\nExecStart=%s\n", exec);
                r = write_section(f, i, service, properties);
        }
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return 0;
}
