/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* inih drives the parse; this file feeds it logical lines.
 *
 * inih as Debian packages it (r55) has a 200-byte line buffer, strips
 * " ;inline comments", treats indented lines as continuations (Python
 * configparser style), splits at ':' as well as '=', and does not tell the
 * handler the line number. systemd's syntax differs on all of these, so our
 * reader joins backslash continuations, strips indentation and comments,
 * records where each logical line starts, handles [Section] headers, and
 * keeps the whole key and value; inih is handed a short "k=" line per
 * assignment and calls the handler, which takes both from the parser state. */
#include <ctype.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>

#include "unit-load-internal.h"

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

/* The next physical line, stripped of surrounding whitespace. */
static bool physical_line(IniParser *p, const char **ret, size_t *ret_len) {
        const char *s = p->text + p->pos, *e;

        if (!*s)
                return false;
        e = strchrnul(s, '\n');
        p->pos = e - p->text + (*e ? 1 : 0);
        p->next_line++;
        while (s < e && isspace((unsigned char) *s))
                s++;
        while (e > s && isspace((unsigned char) e[-1]))
                e--;
        *ret = s;
        *ret_len = e - s;
        return true;
}

/* Join "\"-continued lines (comment lines inside a continuation are skipped,
 * as systemd does). Returns 1 with p->logical set, 0 at the end. */
static int logical_line(IniParser *p) {
        bool continuing = false;
        size_t len = 0;
        const char *s;
        size_t n;
        int r;

        r = logical_append(p, &len, "", 0);
        if (r < 0)
                return r;
        while (physical_line(p, &s, &n)) {
                bool comment = n > 0 && (s[0] == '#' || s[0] == ';');

                if (!continuing) {
                        p->line = p->next_line - 1;
                        if (n == 0 || comment)
                                continue;
                } else if (comment)
                        continue;
                continuing = n > 0 && s[n - 1] == '\\';
                r = logical_append(p, &len, s, continuing ? n - 1 : n);
                if (r < 0)
                        return r;
                if (!continuing)
                        return 1;
                r = logical_append(p, &len, " ", 1);
                if (r < 0)
                        return r;
        }
        return continuing ? 1 : 0;
}

static void strip_right(char *s) {
        size_t n = strlen(s);

        while (n > 0 && isspace((unsigned char) s[n - 1]))
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
        while (isspace((unsigned char) *p->value))
                p->value++;
        if (!*p->key)
                return diag_add(p->diags, true, p->file, p->line, NULL,
                                "missing key name before '='");
        if (!p->in_section)
                return diag_add(p->diags, false, p->file, p->line, p->key,
                                "assignment outside of any section, ignoring");
        return p->section_ok ? 1 : 0;
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

        if (strneq(text, "\xef\xbb\xbf", 3))
                p.pos = 3;
        r = ini_parse_stream(reader, &p, handler, &p);
        free(p.logical);
        if (p.oom < 0)
                return p.oom;
        return r == -2 ? -ENOMEM : 0;
}
