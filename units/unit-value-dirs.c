/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Service directories (RuntimeDirectory= & co.) and credentials
 * (LoadCredential=, SetCredential=), read as systemd 252 reads them. */
#include <limits.h>
#include <string.h>

#include "unit-value-internal.h"

static const struct {
        const char *base, *key, *env;
} exec_directories[_EXEC_DIRECTORY_TYPE_MAX] = {
        [EXEC_DIRECTORY_RUNTIME] = { "/run", "RuntimeDirectory", "RUNTIME_DIRECTORY" },
        [EXEC_DIRECTORY_STATE] = { "/var/lib", "StateDirectory", "STATE_DIRECTORY" },
        [EXEC_DIRECTORY_CACHE] = { "/var/cache", "CacheDirectory", "CACHE_DIRECTORY" },
        [EXEC_DIRECTORY_LOGS] = { "/var/log", "LogsDirectory", "LOGS_DIRECTORY" },
        [EXEC_DIRECTORY_CONFIGURATION] = { "/etc", "ConfigurationDirectory", "CONFIGURATION_DIRECTORY" },
};

const char *exec_directory_base(ExecDirectoryType t) {
        return t >= 0 && t < _EXEC_DIRECTORY_TYPE_MAX ? exec_directories[t].base : NULL;
}

const char *exec_directory_key(ExecDirectoryType t) {
        return t >= 0 && t < _EXEC_DIRECTORY_TYPE_MAX ? exec_directories[t].key : NULL;
}

const char *exec_directory_env(ExecDirectoryType t) {
        return t >= 0 && t < _EXEC_DIRECTORY_TYPE_MAX ? exec_directories[t].env : NULL;
}

static bool has_control(const char *s) {
        for (const unsigned char *c = (const unsigned char *) s; *c; c++)
                if (*c < 0x20 || *c == 0x7f)
                        return true;
        return false;
}

int parse_exec_directory(const char *v, char **ret, CrlError *reterr) {
        _cleanup_free_ char *out = NULL;
        int r;

        if (v[0] == '/')
                return crl_error_set(reterr, EINVAL, "\"%s\" is an absolute path (give a name relative to the "
                                     "base directory, e.g. \"foo\" or \"foo/bar\")", v);
        if (strchr(v, ':'))
                return crl_error_set(reterr, EINVAL, "\"%s\": the SOURCE:SYMLINK form is not supported by corral "
                                     "(give the directory's name only)", v);
        if (has_control(v))
                return crl_error_set(reterr, EINVAL, "\"%s\" contains a control character", v);
        if (strlen(v) >= PATH_MAX - 16)
                return crl_error_set(reterr, EINVAL, "\"%.64s...\" is too long", v);
        r = value_path_simplify(v, &out);
        if (r == -EINVAL)
                return crl_error_set(reterr, EINVAL, "\"%s\" contains \"..\" (give a name below the "
                                     "base directory)", v);
        if (r < 0)
                return r;
        if (!out[0])
                return crl_error_set(reterr, EINVAL, "\"%s\" names the base directory itself "
                                     "(give a name below it)", v);
        *ret = TAKE_PTR(out);
        return 0;
}

int parse_mode(const char *v, mode_t *ret, CrlError *reterr) {
        int m;

        if (parse_umask(v, &m, NULL) < 0)
                return crl_error_set(reterr, EINVAL, "\"%s\" is not an access mode (an octal number "
                                     "0000-7777, e.g. 0755 or 0700)", v);
        *ret = (mode_t) m;
        return 0;
}

bool credential_id_is_valid(const char *id) {
        size_t n = strlen(id);

        if (n == 0 || n > 255 || streq(id, ".") || streq(id, ".."))
                return false;
        for (const char *c = id; *c; c++)
                if (*c < 0x20 || *c > 0x7e || *c == '/' || *c == ':')
                        return false;
        return true;
}

/* "ID:REST" split at the first ':' (ID as written, as systemd's
 * extract_first_word(":") without unquoting); *ret_rest NULL without ':'. */
static int credential_split(const char *v, char **ret_id, const char **ret_rest, CrlError *reterr) {
        const char *colon = strchr(v, ':');
        _cleanup_free_ char *id = colon ? strndup(v, (size_t) (colon - v)) : strdup(v);

        if (!id)
                return -ENOMEM;
        if (!credential_id_is_valid(id))
                return crl_error_set(reterr, EINVAL, "\"%s\" is not a valid credential ID (1-255 printable ASCII "
                                     "characters, no '/' or ':', not \".\" or \"..\")", id);
        *ret_id = TAKE_PTR(id);
        *ret_rest = colon ? colon + 1 : NULL;
        return 0;
}

int parse_load_credential(const char *v, UnitCredential *ret, CrlError *reterr) {
        _cleanup_free_ char *id = NULL, *path = NULL;
        const char *rest;
        int r;

        r = credential_split(v, &id, &rest, reterr);
        if (r < 0)
                return r;
        if (!rest || !*rest)
                path = strdup(id);
        else if (rest[0] == '/') {
                r = value_path_normalize(rest, "path", &path, reterr);
                if (r < 0)
                        return r;
        } else if (!credential_id_is_valid(rest))
                return crl_error_set(reterr, EINVAL, "\"%s\" is neither an absolute path nor a credential name", rest);
        else
                path = strdup(rest);
        if (!path)
                return -ENOMEM;
        *ret = (UnitCredential) { .id = TAKE_PTR(id), .path = TAKE_PTR(path) };
        return 0;
}

int parse_set_credential(const char *v, UnitCredential *ret, CrlError *reterr) {
        _cleanup_free_ char *id = NULL, *data = NULL;
        const char *rest;
        size_t size;
        int r;

        r = credential_split(v, &id, &rest, reterr);
        if (r < 0)
                return r;
        if (!rest)
                return crl_error_set(reterr, EINVAL, "\"%s\" has no value (write ID:VALUE)", v);
        r = value_cunescape_binary(rest, &data, &size, reterr);
        if (r < 0)
                return r;
        if (size > UNIT_CREDENTIAL_SIZE_MAX)
                return crl_error_set(reterr, EINVAL, "credential '%s' is larger than 1M", id);
        *ret = (UnitCredential) { .id = TAKE_PTR(id), .data = TAKE_PTR(data), .size = size };
        return 0;
}
