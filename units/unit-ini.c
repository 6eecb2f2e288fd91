/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* inih drives the parse; this file feeds it logical lines.
 *
 * inih as Debian packages it (r55) has a 200-byte line buffer, strips
 * " ;inline comments", treats indented lines as continuations (Python
 * configparser style), splits at ':' as well as '=', and does not tell the
 * handler the line number. systemd's syntax differs on all of these, so our
 * reader splits lines and joins backslash continuations exactly as systemd's
 * config_parse() does (a different split would let one line's value swallow
 * the next line's assignment), skips comments, records where each logical
 * line starts, handles [Section] headers, and keeps the whole key and value; inih is handed a short "k=" line per
 * assignment and calls the handler, which takes both from the parser state. */
#include <ini.h>
#include <stdio.h>
#include <string.h>

#include "unit-load-internal.h"
#include "unit-value.h"

static int logical_append(IniParser *p, size_t *len, const char *s, size_t n) {
        if (*len + n + 2 > p->logical_alloc) {
                size_t a = (*len + n + 2) * 2;
                char *b = realloc(p->logical, a);

                if (!b)
                        return -ENOMEM;
                p->logical = b;
                p->logical_alloc = a;
        }
        memcpy(p->logical + *len, s, n);
        *len += n;
        p->logical[*len] = 0;
        return 0;
}

/* systemd's whitespace (config_parse() strips exactly these). */
#define INI_WHITESPACE " \t\n\r"

static bool ini_space(char c) {
        return c && strchr(INI_WHITESPACE, c);
}

/* The next physical line as it is, without its line end. As systemd's
 * read_line(), \n, \r, \r\n and \n\r each end a line, so a carriage return
 * cannot hide an assignment inside the previous value. */
static bool physical_line(IniParser *p, const char **ret, size_t *ret_len) {
        const char *s = p->text + p->pos, *e;

        if (!*s)
                return false;
        e = s + strcspn(s, "\n\r");
        p->pos = e - p->text;
        if (*e) {
                p->pos++;
                if ((e[1] == '\n' || e[1] == '\r') && e[1] != e[0])
                        p->pos++;
        }
        p->next_line++;
        *ret = s;
        *ret_len = e - s;
        return true;
}

/* As systemd: a line continues when it ends in an odd number of
 * backslashes, counted on the raw line (so "a\\" is an escaped backslash,
 * and "a\ " with a trailing space does not continue). */
static bool ends_in_escape(const char *s, size_t n) {
        size_t k = 0;

        while (k < n && s[n - 1 - k] == '\\')
                k++;
        return k % 2 == 1;
}

static bool comment_line(const char *s, size_t n) {
        while (n > 0 && ini_space(*s))
                s++, n--;
        return n > 0 && (*s == '#' || *s == ';');
}

/* Strip p->logical (length len) of surrounding whitespace, in place. */
static void logical_strip(IniParser *p, size_t len) {
        char *s = p->logical;
        size_t skip = 0;

        while (len > 0 && ini_space(s[len - 1]))
                len--;
        while (skip < len && ini_space(s[skip]))
                skip++;
        memmove(s, s + skip, len - skip);
        s[len - skip] = 0;
}

/* The next logical line, as systemd's config_parse() builds it: comment
 * lines are skipped (also inside a continuation), a continued line's final
 * backslash becomes a space and the next line is appended unchanged, and
 * the result is stripped. A BOM is dropped from the first line that has one.
 * Returns 1 with p->logical set, 0 at the end. */
static int logical_line(IniParser *p) {
        bool continuing = false;
        size_t len = 0;
        const char *s;
        size_t n;
        int r;

        for (;;) {
                if (!physical_line(p, &s, &n)) {
                        if (!continuing)
                                return 0;
                        break;
                }
                if (comment_line(s, n))
                        continue;
                if (!p->bom_seen && n >= 3 && strneq(s, "\xef\xbb\xbf", 3)) {
                        p->bom_seen = true;
                        s += 3;
                        n -= 3;
                }
                if (!continuing) {
                        p->line = p->next_line - 1;
                        len = 0;
                }
                continuing = ends_in_escape(s, n);
                r = logical_append(p, &len, s, continuing ? n - 1 : n);
                if (r >= 0 && continuing)
                        r = logical_append(p, &len, " ", 1);
                if (r < 0)
                        return r;
                if (continuing)
                        continue;
                logical_strip(p, len);
                if (p->logical[0] && !strchr("#;", p->logical[0]))
                        return 1;
        }
        logical_strip(p, len);
        return p->logical[0] ? 1 : 0;
}

static void strip_right(char *s) {
        size_t n = strlen(s);

        while (n > 0 && ini_space(s[n - 1]))
                s[--n] = 0;
}

static int section_header(IniParser *p) {
        char *s = p->logical + 1, *end = strchr(s, ']');

        if (!end || end[1] || end == s || (size_t) (end - s) >= sizeof(p->section)) {
                p->in_section = false;
                return diag_add(p->diags, true, p->file, p->line, NULL,
                                "\"%s\" is not a valid section header (use [Unit], [Service], [Network] or [Install])",
                                p->logical);
        }
        *end = 0;
        snprintf(p->section, sizeof(p->section), "%s", s);
        p->in_section = true;
        p->section_line = p->line;
        p->section_ok = p->cb->section_known(p, p->section, p->userdata);
        if (!p->section_ok && !strneq(p->section, "X-", 2))
                return diag_add(p->diags, false, p->file, p->line, NULL,
                                "[%s]: unknown section, ignoring its keys", p->section);
        return 0;
}

/* Split "Key = value"; returns false (with a diagnostic) for a bad line. */
static int assignment_line(IniParser *p) {
        char *eq = strchr(p->logical, '=');

        if (!eq)
                return diag_add(p->diags, true, p->file, p->line, NULL,
                                "\"%s\" is neither a KEY=VALUE assignment nor a [Section] header",
                                p->logical);
        *eq = 0;
        strip_right(p->logical);
        p->key = p->logical;
        p->value = eq + 1;
        while (ini_space(*p->value))
                p->value++;
        if (!*p->key)
                return diag_add(p->diags, true, p->file, p->line, NULL,
                                "missing key name before '='");
        if (!p->in_section)
                return diag_add(p->diags, false, p->file, p->line, p->key,
                                "assignment outside of any section, ignoring");
        return p->section_ok ? 1 : 0;
}

/* Every logical line but comments must be UTF-8, as systemd's
 * config_parse() insists: values end up in D-Bus strings and JSON. A bad
 * header also hides its section's keys. Returns 1 for a refused line. */
static int check_utf8(IniParser *p) {
        const char *bad = utf8_first_invalid(p->logical);

        if (!bad)
                return 0;
        if (p->logical[0] == '[') {
                p->in_section = true;
                p->section_ok = false;
                p->section[0] = 0;
        }
        return diag_add(p->diags, true, p->file, p->line, NULL,
                        "not valid UTF-8 (byte 0x%02x at column %zu); the file must be UTF-8 text",
                        (unsigned char) *bad, (size_t) (bad - p->logical) + 1) ?: 1;
}

/* inih's reader: one logical line per call, rewritten so inih calls the
 * handler exactly for the assignments we want handled. */
static char *reader(char *str, int num, void *stream) {
        IniParser *p = stream;
        int r;

        for (;;) {
                r = logical_line(p);
                if (r <= 0) {
                        if (r < 0)
                                p->oom = r;
                        return NULL;
                }
                r = check_utf8(p);
                if (r != 0) {
                        if (r < 0)
                                p->oom = r;
                        continue;
                }
                if (p->logical[0] == '[') {
                        r = section_header(p);
                        if (r < 0)
                                p->oom = r;
                        continue;
                }
                r = assignment_line(p);
                if (r < 0) {
                        p->oom = r;
                        return NULL;
                }
                if (r == 0)
                        continue;
                /* The key itself does not matter to inih; the handler uses
                 * p->key, which may be longer than inih's name buffer. */
                snprintf(str, num, "k=\n");
                return str;
        }
}

static int handler(void *user, const char *section, const char *name, const char *value) {
        IniParser *p = user;
        int r;

        r = p->cb->assignment(p, p->section, p->key, p->value, p->userdata);
        if (r < 0)
                p->oom = r;
        return 1;
}

int ini_parse_text(const char *file, const char *text, const IniCallbacks *cb,
                   void *userdata, UnitDiagnostics *diags) {
        IniParser p = {
                .file = file,
                .text = text,
                .next_line = 1,
                .cb = cb,
                .userdata = userdata,
                .diags = diags,
        };
        int r;

        r = ini_parse_stream(reader, &p, handler, &p);
        free(p.logical);
        if (p.oom < 0)
                return p.oom;
        return r == -2 ? -ENOMEM : 0;
}
