/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corrald.conf: [Manager] and [Network], every key optional. */
#include <arpa/inet.h>
#include <string.h>

#include "fileio.h"
#include "unit-load-internal.h"
#include "unit-value.h"

typedef struct ManagerLoader {
        ManagerConfig *m;
        UnitDiagnostics *diags;
        const char *file;
} ManagerLoader;

static int set_path(char **field, const char *v, CrlError *e) {
        if (check_absolute(v, e) < 0)
                return -EINVAL;
        return set_string(field, v);
}

static int cgroup_root(ManagerConfig *m, const char *v, CrlError *e) {
        if (strstr(v, "..") || strpbrk(v, " \t\n"))
                return crl_error_set(e, EINVAL, "\"%s\" is not a cgroup path (use e.g. corral or /corral.slice/corral)", v);
        return set_string(&m->cgroup_root, v);
}

static int log_max_bytes(ManagerConfig *m, const char *v, CrlError *e) {
        ResourceLimit lim;

        if (parse_size(v, false, false, &lim, e) < 0)
                return -EINVAL;
        if (lim.value < 4096)
                return crl_error_set(e, EINVAL, "\"%s\" is too small for a log file (use at least 4K)", v);
        m->log_max_bytes = lim.value;
        return 0;
}

static int log_keep(ManagerConfig *m, const char *v, CrlError *e) {
        long n;

        if (parse_int_range(v, 0, 1000, &n, e) < 0)
                return -EINVAL;
        m->log_keep = n;
        return 0;
}

static int unenforceable(ManagerConfig *m, const char *v, CrlError *e) {
        if (!streq(v, "refuse") && !streq(v, "warn"))
                return crl_error_set(e, EINVAL, "\"%s\" is not a policy (use refuse or warn)", v);
        m->unenforceable_limits_warn = streq(v, "warn");
        return 0;
}

static int subnet(ManagerConfig *m, const char *v, CrlError *e) {
        struct in_addr a;
        uint8_t len;

        if (parse_ipv4_cidr(v, &a, &len, e) < 0)
                return -EINVAL;
        if (len > 30)
                return crl_error_set(e, EINVAL, "\"%s\" leaves no room for services (use a prefix of /30 or shorter)", v);
        /* The network address; host bits as written are dropped. */
        a.s_addr &= len == 0 ? 0 : htonl(~UINT32_C(0) << (32 - len));
        m->subnet = a;
        m->subnet_prefixlen = len;
        return 0;
}

static int apply(ManagerConfig *m, const char *section, const char *key, const char *v, CrlError *e) {
        if (streq(section, "Manager")) {
                if (streq(key, "CgroupRoot"))
                        return cgroup_root(m, v, e);
                if (streq(key, "RuntimeDirectory"))
                        return set_path(&m->runtime_directory, v, e);
                if (streq(key, "ServiceDirectoryRoot"))
                        return set_path(&m->service_directory_root, v, e);
                if (streq(key, "LogDirectory"))
                        return set_path(&m->log_directory, v, e);
                if (streq(key, "LogMaxBytes"))
                        return log_max_bytes(m, v, e);
                if (streq(key, "LogKeep"))
                        return log_keep(m, v, e);
                if (streq(key, "AdminGroup"))
                        return parse_user_or_group_name(v, e) < 0 ? -EINVAL : set_string(&m->admin_group, v);
                if (streq(key, "UnenforceableLimits"))
                        return unenforceable(m, v, e);
        } else if (streq(key, "Bridge")) {
                if (strlen(v) > 15 || strpbrk(v, "/: \t") || streq(v, ".") || streq(v, ".."))
                        return crl_error_set(e, EINVAL,
                                             "\"%s\" is not an interface name (use 1-15 characters, no '/', ':' or spaces)", v);
                return set_string(&m->bridge, v);
        } else if (streq(key, "Subnet"))
                return subnet(m, v, e);
        return -ENOENT;
}

static bool on_section(IniParser *p, const char *section, void *userdata) {
        return streq(section, "Manager") || streq(section, "Network");
}

static int on_assignment(IniParser *p, const char *section, const char *key,
                         const char *value, void *userdata) {
        ManagerLoader *ml = userdata;
        CrlError e = {};
        int r;

        if (!*value)    /* an empty assignment keeps the default */
                return 0;
        r = apply(ml->m, section, key, value, &e);
        if (r == -ENOMEM)
                return r;
        if (r == -ENOENT)
                return diag_add(ml->diags, false, ml->file, p->line, key, "unknown key in [%s], ignoring", section);
        if (r < 0)
                return diag_add(ml->diags, true, ml->file, p->line, key, "%s",
                                crl_error_isset(&e) ? e.message : "invalid value");
        return 0;
}

static const IniCallbacks manager_callbacks = {
        .section_known = on_section,
        .assignment = on_assignment,
};

int manager_config_load(const char *path, ManagerConfig **ret, UnitDiagnostics *diags) {
        _cleanup_(manager_config_freep) ManagerConfig *m = NULL;
        _cleanup_free_ char *text = NULL;
        size_t errors_before = unit_diag_n_errors(diags);
        ManagerLoader ml;
        int r;

        r = manager_config_new(&m);
        if (r < 0)
                return r;
        if (access(path, F_OK) < 0 && errno == ENOENT) {
                *ret = TAKE_PTR(m);
                return 0;
        }
        r = unit_read_text(diags, path, "a configuration file", &text);
        if (r < 0)
                return r;
        m->path = strdup(path);
        if (!m->path)
                return -ENOMEM;
        ml = (ManagerLoader) { m, diags, path };
        /* /dev/null or empty (1): every default. */
        r = text ? ini_parse_text(path, text, &manager_callbacks, &ml, diags) : 0;
        if (r < 0)
                return r;
        if (unit_diag_n_errors(diags) > errors_before)
                return -EINVAL;
        *ret = TAKE_PTR(m);
        return 0;
}
