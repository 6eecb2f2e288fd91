/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between the unit loader's files; not for other modules. */

#include <stdarg.h>
#include <sys/stat.h>

#include "strv.h"
#include "unit.h"

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

/* ---- diagnostics (unit-diag.c) ---- */

/* Append "FILE:LINE: KEY: message" (FILE:LINE omitted when FILE is NULL or
 * empty, KEY when NULL; LINE 0 is the file as a whole) to
 * d->errors or d->warnings. Returns 0 or -ENOMEM. */
int diag_add(UnitDiagnostics *d, bool error, const char *file, unsigned line,
             const char *key, const char *fmt, ...) _printf_(6, 7);
int diag_addv(UnitDiagnostics *d, bool error, const char *file, unsigned line,
              const char *key, const char *fmt, va_list ap) _printf_(6, 0);

/* Order the entries added since errors_from/warnings_from by file (in the
 * order of files) and line; entries of other files keep their order, last. */
int diag_sort(UnitDiagnostics *d, size_t errors_from, size_t warnings_from, char *const *files);

/* ---- the line reader around inih (unit-ini.c) ---- */

typedef struct IniParser IniParser;

typedef struct IniCallbacks {
        /* Return true when SECTION is known; unknown ones are warned about
         * once and their keys skipped. */
        bool (*section_known)(IniParser *p, const char *section, void *userdata);
        /* One KEY=VALUE in a known section; returns 0 or -ENOMEM only
         * (problems are reported through diag_add()). */
        int (*assignment)(IniParser *p, const char *section, const char *key,
                          const char *value, void *userdata);
} IniCallbacks;

struct IniParser {
        const char *file;               /* as given, for messages */
        const char *text;               /* borrowed */
        size_t pos;
        unsigned next_line;             /* physical line number of text + pos */
        unsigned line;                  /* where the current logical line started */
        char *logical;                  /* owned: the current logical line */
        size_t logical_alloc;
        char *key, *value;              /* borrowed from logical */
        char section[128];
        unsigned section_line;
        bool in_section, section_ok;
        bool bom_seen;                  /* systemd drops one BOM, from the first line with one */
        const IniCallbacks *cb;
        void *userdata;
        UnitDiagnostics *diags;
        int oom;                        /* -ENOMEM once seen */
};

/* Parse NUL-terminated text; every problem goes into diags. Returns 0, or
 * -ENOMEM. */
int ini_parse_text(const char *file, const char *text, const IniCallbacks *cb,
                   void *userdata, UnitDiagnostics *diags);

/* ---- specifiers (unit-specifier.c) ---- */

typedef struct Specifiers {
        const char *full;       /* %n: "worker@3.service" */
        const char *name;       /* %N: "worker@3" */
        const char *prefix;     /* %p: "worker" */
        const char *instance;   /* %i: "3"; "" in plain units, "i" in a template checked as itself */
        bool has_instance;      /* %f uses the instance, else the prefix */
        char *const *fragment;  /* %y: the unit file (UnitConfig.path; NULL for properties) */
} Specifiers;

/* How an expansion goes into a value that the key's parser reads further
 * (systemd expands specifiers after splitting words and unquoting). */
typedef enum SpecifierMode {
        SPECIFIER_RAW,          /* the value is taken as it is (Description=, User=) */
        SPECIFIER_ESCAPE,       /* words with quotes and escapes: \ \" \' and space are escaped */
        SPECIFIER_ONE_WORD,     /* words split at whitespace only: an expansion must hold none */
} SpecifierMode;

/* Expand every specifier of systemd.unit(5) in s; '%' before a character
 * that is no letter, digit or '%' (and at the end) is kept, as systemd.
 * -EINVAL with reterr for an unknown one or a value that cannot be had. */
int specifiers_expand(const char *s, const Specifiers *spec, SpecifierMode mode, char **ret, CrlError *reterr);

/* systemd's unit_name_unescape() (%I %P %J) and unit_name_path_unescape()
 * (%f) (unit-name.c). -EINVAL for a bad escape or path. */
int unit_name_unescape(const char *s, char **ret);
int unit_name_path_unescape(const char *s, char **ret);

/* ---- the key table (unit-keys.c) ---- */

#define UNIT_KEYS_MAX 240

typedef struct KeySite {
        const char *file;       /* borrowed from UnitConfig path/dropin_paths; NULL = never set */
        unsigned line;
} KeySite;

typedef struct UnitLoader {
        UnitConfig *unit;
        UnitDiagnostics *diags;
        Specifiers spec;
        const char *file;               /* the file being parsed, or NULL (properties) */
        unsigned line;                  /* the assignment being applied */
        KeySite sites[UNIT_KEYS_MAX];   /* last assignment of each key */
        bool rejected[UNIT_KEYS_MAX];   /* a value of the key was refused */
        KeySite service_section;        /* first [Service] header */
        int oom;                        /* -ENOMEM met while reporting */
        size_t errors_before, warnings_before;  /* diagnostics not about this unit */
        /* Environment= of the file being parsed, merged into unit->environment
         * once at its end (unit_parse_text()): merging per line cost O(lines²). */
        bool in_file;
        StrvBuilder environment;
        /* The same for the string lists (After= Requires= Wants=
         * JoinsNamespaceOf= Documentation= SupplementaryGroups=), moved into
         * the unit at the file's end, unit references without duplicates
         * (unit_loader_merge_lists()): appending per word was O(n²). */
        struct {
                const struct UnitKey *key;      /* NULL: free slot */
                StrvBuilder items;
        } lists[6];
} UnitLoader;

typedef struct UnitKey UnitKey;
/* Move the collected list entries into the unit (key_unit_refs() & co.). */
int unit_loader_merge_lists(UnitLoader *l);
typedef int (*UnitKeyParser)(UnitLoader *l, const UnitKey *k, const char *v, CrlError *reterr);

typedef enum UnitKeyFlags {
        KEY_SPECIFIERS  = 1 << 0,       /* %-specifiers are expanded in the value */
        KEY_PATH        = 1 << 1,       /* the value holds paths: no specifier may make a "." or ".." */
} UnitKeyFlags;

struct UnitKey {
        const char *section;
        const char *name;
        UnitKeyParser parse;
        size_t offset, size;            /* the UnitConfig field */
        UnitKeyFlags flags;
        long min, max;                  /* for ranged integers */
        uint64_t def;                   /* the default an empty assignment restores */
        size_t offset_n;                /* the count field of an array */
        const char *also;               /* a second section that accepts the key */
};

#define FIELD(l, k, type) ((type *) ((uint8_t *) (l)->unit + (k)->offset))
#define FIELD_N(l, k) ((size_t *) ((uint8_t *) (l)->unit + (k)->offset_n))

/* Helpers for the key parsers (unit-keys.c). */
int set_string(char **field, const char *v);
int check_absolute(const char *v, CrlError *e);
int array_append(void *arrayp, size_t *n, size_t size, const void *elem);

/* List and network keys (unit-keys-lists.c). */
#define DECLARE_KEY(name) int name(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e)
DECLARE_KEY(key_documentation);
DECLARE_KEY(key_unit_refs);
DECLARE_KEY(key_groups);
DECLARE_KEY(key_exec);
DECLARE_KEY(key_success_exit_status);
DECLARE_KEY(key_environment);
DECLARE_KEY(key_environment_file);
DECLARE_KEY(key_bind_paths);
DECLARE_KEY(key_path_specs);
DECLARE_KEY(key_tmpfs);
DECLARE_KEY(key_bounding_set);
DECLARE_KEY(key_ambient_caps);
DECLARE_KEY(key_io_device);
DECLARE_KEY(key_hostname);
DECLARE_KEY(key_bridge);
DECLARE_KEY(key_address);
DECLARE_KEY(key_gateway);
DECLARE_KEY(key_port);
/* Process attributes (unit-keys-exec.c). */
DECLARE_KEY(key_unset_environment);
DECLARE_KEY(key_io_class);
DECLARE_KEY(key_io_priority);
DECLARE_KEY(key_cpu_policy);
DECLARE_KEY(key_cpu_priority);
DECLARE_KEY(key_cpu_reset_on_fork);
DECLARE_KEY(key_standard_input);
/* The seccomp keys (unit-keys-seccomp.c). */
DECLARE_KEY(key_syscall_filter);
DECLARE_KEY(key_syscall_error_number);
DECLARE_KEY(key_syscall_architectures);
DECLARE_KEY(key_restrict_address_families);
DECLARE_KEY(key_restrict_namespaces);
DECLARE_KEY(key_exec_directory);
DECLARE_KEY(key_dir_mode);
DECLARE_KEY(key_credential);

/* cgroup BPF keys (unit-value-bpf.c). */
DECLARE_KEY(key_device_policy);
DECLARE_KEY(key_device_allow);
DECLARE_KEY(key_ip_address);

/* The key NAME of SECTION (SECTION NULL: any section), or NULL. */
const UnitKey *unit_key_lookup(const char *section, const char *name);
size_t unit_key_index(const UnitKey *k);
/* A suggestion for an unknown key ("MemoryMax" for "memorymax", or the
 * section a misplaced key belongs in), or NULL. */
const UnitKey *unit_key_suggest(const char *section, const char *name);
bool unit_section_known(const char *section);

/* Apply one assignment; problems are reported into l->diags at FILE:LINE.
 * Returns 0, or -ENOMEM. */
int unit_key_apply(UnitLoader *l, const UnitKey *k, unsigned line, const char *value);

/* Site of the last assignment of key NAME (file NULL when never set). */
const KeySite *unit_loader_site(const UnitLoader *l, const char *name);

/* ---- properties (unit-transient.c) ---- */

/* "KEY=VALUE" of RunTransient as the line of a unit file reads it: the value
 * without surrounding whitespace; one that no line can carry (a carriage
 * return, which ends a line, or a final backslash, which continues it) is
 * -EINVAL with *ret_reason. *ret_key is set whenever there is a '='. */
int unit_property_split(const char *property, char **ret_key, char **ret_value, const char **ret_reason);

/* ---- cross-key validation (unit-validate.c) ---- */

/* Check and complete the implications between keys. Returns 0 or -ENOMEM;
 * errors go into l->diags. */
int unit_validate(UnitLoader *l);

/* ---- the loader (unit-load.c) ---- */

/* Parse text as one more file of l->unit (main file or drop-in). */
int unit_parse_text(UnitLoader *l, const char *file, const char *text);
/* Returns 0, 1 when the file is masked (/dev/null or empty: nothing to
 * parse), or <0 after reporting why it cannot be read. */
int unit_parse_file(UnitLoader *l, const char *path);
/* unit_parse_file() for the unit's own file: masked is an error, -ERFKILL. */
int unit_parse_main_file(UnitLoader *l, const char *path);

/* Read PATH (a unit file, drop-in or corrald.conf; WHAT names it: "a unit
 * file") as text: only a regular file is opened for reading, and a NUL byte
 * is refused. Returns 0 with *ret, 1 when it is /dev/null or empty (*ret
 * NULL), or <0 after reporting into diags ("FILE:0: ..."); -ENOENT too. */
int unit_read_text(UnitDiagnostics *diags, const char *path, const char *what, char **ret);
/* /dev/null or an empty regular file: what systemd calls masked. */
bool stat_is_null_or_empty(const struct stat *st);

/* A unit NAME from TEXT alone (no drop-ins), validated: for the fuzzer and
 * the benchmark. Returns as unit_load_file(). */
int unit_load_text(const char *name, const char *file, const char *text,
                   UnitConfig **ret, UnitDiagnostics *diags);

/* Names and specifiers: "worker@3" -> prefix "worker", instance "3". A
 * template checked as itself ("worker@") is named as the instance "i"
 * ("worker@i"), as systemd-analyze verify does. */
typedef struct UnitNames {
        char *full, *name, *prefix;
        const char *instance;
} UnitNames;
void unit_names_done(UnitNames *n);

/* A fresh unit NAME with defaults, and a loader filling it. */
int unit_loader_init(UnitLoader *l, UnitConfig **u, const char *name, UnitNames *names,
                     UnitDiagnostics *diags);
/* Validate, sort this unit's diagnostics by file and line, and hand *u over
 * to *ret unless errors were added. */
int unit_loader_finish(UnitLoader *l, UnitConfig **u, UnitConfig **ret);
int unit_apply_dropins(UnitLoader *l, UnitConfig *u);
size_t unit_diag_n_errors(const UnitDiagnostics *d);
/* DIR/ *.conf names, sorted; a missing DIR is an empty list. */
int unit_list_conf_files(const char *dir, char ***ret);
