/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* %-specifiers with the values systemd 252 gives a service of the system
 * manager (systemd.unit(5) "Specifiers", src/core/unit-printf.c). corrald
 * is a system manager, so the user specifiers are root's and the
 * directories are /run, /var/lib, ... whoever loads the unit (corrald or
 * `corralctl verify`). Machine values (%m %b %H %v %o ...) are read when a
 * value uses them, as systemd reads them when it loads the unit. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fileio.h"
#include "strv.h"
#include "unit-load-internal.h"
#include "unit-value-internal.h"

static int dup_to(const char *s, char **ret) {
        char *d = strdup(s);

        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

/* A name part through unit_name_unescape(); what names the part. */
static int unescaped(const char *s, char c, char **ret, CrlError *e) {
        int r = unit_name_unescape(s, ret);

        if (r == -EINVAL)
                return crl_error_set(e, EINVAL, "%%%c: \"%s\" has an invalid escape (use \\xNN, not \\x00)", c, s);
        return r;
}

/* %j: the prefix after its last '-' (all of it without one). */
static const char *last_component(const char *prefix) {
        const char *dash = strrchr(prefix, '-');

        return dash ? dash + 1 : prefix;
}

/* %f: the instance, or without one the prefix, as an absolute path. */
static int specifier_filename(const Specifiers *spec, char **ret, CrlError *e) {
        const char *s = spec->has_instance ? spec->instance : spec->prefix;
        int r = unit_name_path_unescape(s, ret);

        if (r == -EINVAL)
                return crl_error_set(e, EINVAL, "%%f: \"%s\" is not an escaped path "
                                     "(as systemd-escape --path makes: no empty, \".\" or \"..\" component)", s);
        return r;
}

/* %y %Y: the unit file with symlinks resolved, or its directory. */
static int specifier_fragment(const Specifiers *spec, bool dir, char **ret, CrlError *e) {
        char real[PATH_MAX], *slash;

        if (!spec->fragment || !*spec->fragment)
                return crl_error_set(e, ENOENT, "%%%c: the unit has no file", dir ? 'Y' : 'y');
        if (!realpath(*spec->fragment, real))
                return crl_error_set(e, errno, "%%%c: cannot resolve \"%s\": %s",
                                     dir ? 'Y' : 'y', *spec->fragment, strerror(errno));
        slash = strrchr(real, '/');
        if (dir && slash)
                *(slash == real ? slash + 1 : slash) = 0;
        return dup_to(real, ret);
}

/* %m %b: a 128-bit id as 32 lowercase hex digits (sd_id128_to_string()). */
static int specifier_id128(const char *file, char c, char **ret, CrlError *e) {
        _cleanup_free_ char *line = NULL;
        char out[33];
        size_t k = 0;
        int r;

        r = read_line_at(AT_FDCWD, file, &line);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return crl_error_set(e, -r, "%%%c: cannot read %s: %s", c, file, strerror(-r));
        for (const char *p = line; *p && k < 32; p++)
                if (*p != '-')
                        out[k++] = (char) (*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
        out[k] = 0;
        if (k != 32 || strspn(out, "0123456789abcdef") != 32)
                return crl_error_set(e, EINVAL, "%%%c: %s does not hold an id", c, file);
        return dup_to(out, ret);
}

/* systemd's names for uname's machine (architecture_to_string()). */
static const char *architecture(const char *machine) {
        static const char *const map[][2] = {
                { "x86_64", "x86-64" }, { "i386", "x86" }, { "i486", "x86" }, { "i586", "x86" },
                { "i686", "x86" }, { "aarch64", "arm64" }, { "aarch64_be", "arm64-be" },
                { "armv8l", "arm" }, { "armv7l", "arm" }, { "armv6l", "arm" }, { "armv5tel", "arm" },
                { "ppc64le", "ppc64-le" }, { "ppc64", "ppc64" }, { "ppcle", "ppc-le" }, { "ppc", "ppc" },
                { "s390x", "s390x" }, { "s390", "s390" }, { "riscv64", "riscv64" }, { "riscv32", "riscv32" },
                { "mips64", "mips64" }, { "mips", "mips" }, { "loongarch64", "loongarch64" },
                { "sparc64", "sparc64" }, { "sparc", "sparc" }, { "alpha", "alpha" }, { "parisc64", "parisc64" },
                { "parisc", "parisc" }, { "ia64", "ia64" }, { "m68k", "m68k" }, { "sh", "sh" }, { "arc", "arc" },
        };

        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (streq(machine, map[i][0]))
                        return map[i][1];
        return machine;
}

/* %H %l: uname's node name, "localhost" when unset (systemd's fallback). */
static int specifier_hostname(bool short_name, char **ret) {
        struct utsname u;
        const char *s;

        (void) uname(&u);       /* cannot fail with a valid buffer */
        s = u.nodename;
        if (!*s || streq(s, "(none)") || (short_name && s[0] == '.'))
                s = "localhost";
        if (short_name) {
                char *d = strndup(s, strcspn(s, "."));

                if (!d)
                        return -ENOMEM;
                *ret = d;
                return 0;
        }
        return dup_to(s, ret);
}

/* FIELD of an env-style FILE; "" when the field is not there. -ENOENT when
 * the file cannot be read. */
static int env_file_field(const char *file, const char *field, char **ret) {
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **env = NULL;
        size_t size, n = strlen(field);
        int r;

        r = read_file_at(AT_FDCWD, file, &text, &size);
        if (r < 0)
                return r;
        /* A broken line leaves the fields before it, as systemd's parser. */
        r = parse_environment_file_text(text, &env, NULL);
        if (r == -ENOMEM)
                return r;
        STRV_FOREACH(v, env)
                if (strneq(*v, field, n) && (*v)[n] == '=')
                        return dup_to(*v + n + 1, ret);
        return dup_to("", ret);
}

/* %o %w %W %B %M %A: os-release(5), /etc first, then /usr/lib. */
static int specifier_os_release(const char *field, char c, char **ret, CrlError *e) {
        int r = env_file_field("/etc/os-release", field, ret);

        if (r < 0 && r != -ENOMEM)
                r = env_file_field("/usr/lib/os-release", field, ret);
        if (r < 0 && r != -ENOMEM)
                return crl_error_set(e, -r, "%%%c: cannot read /etc/os-release or /usr/lib/os-release: %s",
                                     c, strerror(-r));
        return r;
}

/* %q: PRETTY_HOSTNAME= of /etc/machine-info, else the short host name. */
static int specifier_pretty_hostname(char **ret) {
        _cleanup_free_ char *s = NULL;
        int r = env_file_field("/etc/machine-info", "PRETTY_HOSTNAME", &s);

        if (r == -ENOMEM)
                return r;
        if (r >= 0 && *s) {
                *ret = TAKE_PTR(s);
                return 0;
        }
        return specifier_hostname(true, ret);
}

static int specifier_machine(char c, char **ret, CrlError *e) {
        struct utsname u;

        switch (c) {
        case 'H': return specifier_hostname(false, ret);
        case 'l': return specifier_hostname(true, ret);
        case 'q': return specifier_pretty_hostname(ret);
        case 'm': return specifier_id128("/etc/machine-id", c, ret, e);
        case 'b': return specifier_id128("/proc/sys/kernel/random/boot_id", c, ret, e);
        case 'o': return specifier_os_release("ID", c, ret, e);
        case 'w': return specifier_os_release("VERSION_ID", c, ret, e);
        case 'W': return specifier_os_release("VARIANT_ID", c, ret, e);
        case 'B': return specifier_os_release("BUILD_ID", c, ret, e);
        case 'M': return specifier_os_release("IMAGE_ID", c, ret, e);
        case 'A': return specifier_os_release("IMAGE_VERSION", c, ret, e);
        }
        (void) uname(&u);       /* cannot fail with a valid buffer */
        return dup_to(c == 'v' ? u.release : architecture(u.machine), ret);
}

/* The system manager's fixed values (systemd.unit(5) for the system
 * manager; %T %V as for PID 1, which has no $TMPDIR). */
static const char *specifier_fixed(char c) {
        switch (c) {
        case 't': return "/run";
        case 'S': return "/var/lib";
        case 'C': return "/var/cache";
        case 'L': return "/var/log";
        case 'E': return "/etc";
        case 'T': return "/tmp";
        case 'V': return "/var/tmp";
        case 'h': return "/root";
        case 'u': case 'g': return "root";
        case 'U': case 'G': return "0";
        case '%': return "%";
        default:  return NULL;
        }
}

/* The value of specifier c into *ret. 0 when c is no specifier (*ret NULL). */
static int specifier_value(char c, const Specifiers *spec, char **ret, CrlError *e) {
        const char *fixed = specifier_fixed(c);

        *ret = NULL;
        if (fixed)
                return dup_to(fixed, ret);
        switch (c) {
        /* root's shell as systemd's default_root_shell(): its build's
         * DEFAULT_USER_SHELL (/bin/bash upstream and in Debian) when it
         * exists, else /bin/sh; /etc/passwd is not read (no NSS in PID 1). */
        case 's': return dup_to(access("/bin/bash", F_OK) == 0 ? "/bin/bash" : "/bin/sh", ret);
        case 'n': return dup_to(spec->full, ret);
        case 'N': return dup_to(spec->name, ret);
        case 'p': return dup_to(spec->prefix, ret);
        case 'P': return unescaped(spec->prefix, c, ret, e);
        case 'i': return dup_to(spec->instance, ret);
        case 'I': return unescaped(spec->instance, c, ret, e);
        case 'j': return dup_to(last_component(spec->prefix), ret);
        case 'J': return unescaped(last_component(spec->prefix), c, ret, e);
        case 'f': return specifier_filename(spec, ret, e);
        case 'y': case 'Y': return specifier_fragment(spec, c == 'Y', ret, e);
        case 'd':
                if (asprintf(ret, "/run/credentials/%s", spec->full) < 0) {
                        *ret = NULL;
                        return -ENOMEM;
                }
                return 0;
        }
        if (strchr("HlqmboWwBMAva", c))
                return specifier_machine(c, ret, e);
        return 0;
}

/* Put one expansion into out as the key's parser must see it to read it
 * literally (systemd expands after splitting words and removing quotes). */
static int put_expansion(Buf *out, const char *x, SpecifierMode mode, char c, CrlError *e) {
        for (const char *p = x; *p; p++) {
                int r;

                if (mode != SPECIFIER_RAW && (unsigned char) *p < 0x20)
                        return crl_error_set(e, EINVAL, "%%%c expands to \"%s\", which holds a control character", c, x);
                if (mode == SPECIFIER_ONE_WORD && *p == ' ')
                        return crl_error_set(e, EINVAL, "%%%c expands to \"%s\", which holds a space", c, x);
                if (mode == SPECIFIER_ESCAPE && strchr("\\\"' ", *p) && (r = value_buf_putc(out, '\\')) < 0)
                        return r;
                if ((r = value_buf_putc(out, *p)) < 0)
                        return r;
        }
        return 0;
}

/* systemd's POSSIBLE_SPECIFIERS: an unknown one of these is an error; '%'
 * before anything else (or at the end) is kept as written. */
static bool maybe_specifier(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int specifiers_expand(const char *s, const Specifiers *spec, SpecifierMode mode, char **ret, CrlError *reterr) {
        _cleanup_(value_buf_done) Buf out = {};
        int r = value_buf_put(&out, "", 0);

        for (const char *c = s; r >= 0 && *c; c++) {
                _cleanup_free_ char *x = NULL;

                if (*c != '%' || (c[1] != '%' && !maybe_specifier(c[1]))) {
                        r = value_buf_putc(&out, *c);
                        continue;
                }
                c++;
                r = specifier_value(*c, spec, &x, reterr);
                if (r >= 0 && !x)
                        return crl_error_set(reterr, EINVAL,
                                             "unknown specifier %%%c in \"%s\" (see systemd.unit(5) for the "
                                             "specifiers; write %%%% for a literal '%%')", *c, s);
                if (r >= 0)
                        r = *c == '%' ? value_buf_putc(&out, '%') : put_expansion(&out, x, mode, *c, reterr);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out.s);
        return 0;
}
