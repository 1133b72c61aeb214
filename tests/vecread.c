/* vecread.c — reader for the known-answer files in tests/vectors/ (see
 * vecread.h for the format). Allocation is fine here: this is test code. */
#include "vecread.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static int valid_key(const char *k)
{
    if (*k == '\0')
        return 0;
    for (; *k; k++)
        if (!(islower((unsigned char)*k) || isdigit((unsigned char)*k) || *k == '_'))
            return 0;
    return 1;
}

static int read_all(const char *path, char **text)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "vecread: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (buf == NULL) {
            fclose(f);
            return -1;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (len < cap - 1)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (nb == NULL)
            free(buf);
        buf = nb;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        fprintf(stderr, "vecread: cannot read %s\n", path);
        free(buf);
        return -1;
    }
    buf[len] = '\0';
    *text = buf;
    return 0;
}

int vec_load(struct vec_file *vf, const char *path)
{
    memset(vf, 0, sizeof *vf);
    vf->path = dup_str(path);
    if (vf->path == NULL || read_all(path, &vf->text) != 0)
        goto fail;
    size_t rec_cap = 0, fld_cap = 0;
    struct vec_record *cur = NULL;
    unsigned lineno = 0;
    char *p = vf->text;
    while (*p) {
        char *line = p;
        char *nl = strchr(p, '\n');
        if (nl != NULL) {
            *nl = '\0';
            p = nl + 1;
        } else {
            p += strlen(p);
        }
        lineno++;
        char *t = trim(line);
        if (lineno == 1) {
            if (strncmp(t, "# source:", 9) != 0) {
                fprintf(stderr, "%s:1: the file must begin with '# source: ...'\n", path);
                goto fail;
            }
            vf->source = trim(t + 9);
            if (*vf->source == '\0') {
                fprintf(stderr, "%s:1: empty source\n", path);
                goto fail;
            }
            continue;
        }
        if (*t == '#')
            continue;
        if (*t == '\0') {
            cur = NULL;
            continue;
        }
        char *eq = strchr(t, '=');
        if (eq == NULL) {
            fprintf(stderr, "%s:%u: expected 'key = value'\n", path, lineno);
            goto fail;
        }
        *eq = '\0';
        char *key = trim(t), *value = trim(eq + 1);
        if (!valid_key(key)) {
            fprintf(stderr, "%s:%u: bad key '%s'\n", path, lineno, key);
            goto fail;
        }
        if (cur == NULL) {
            if (vf->n == rec_cap) {
                rec_cap = rec_cap ? 2 * rec_cap : 16;
                struct vec_record *nr = realloc(vf->records, rec_cap * sizeof *nr);
                if (nr == NULL)
                    goto fail;
                vf->records = nr;
            }
            cur = &vf->records[vf->n++];
            memset(cur, 0, sizeof *cur);
            cur->line = lineno;
            fld_cap = 0;
        }
        if (vec_get(cur, key) != NULL) {
            fprintf(stderr, "%s:%u: key '%s' repeated in one record\n", path, lineno, key);
            goto fail;
        }
        if (cur->n == fld_cap) {
            fld_cap = fld_cap ? 2 * fld_cap : 8;
            struct vec_field *nf = realloc(cur->fields, fld_cap * sizeof *nf);
            if (nf == NULL)
                goto fail;
            cur->fields = nf;
        }
        cur->fields[cur->n].key = key;
        cur->fields[cur->n].value = value;
        cur->n++;
    }
    if (vf->source == NULL) {
        fprintf(stderr, "%s: empty file\n", path);
        goto fail;
    }
    if (vf->n == 0) {
        fprintf(stderr, "%s: no records\n", path);
        goto fail;
    }
    return 0;
fail:
    vec_free(vf);
    return -1;
}

int vec_load_in(struct vec_file *vf, const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    if (path == NULL)
        return -1;
    snprintf(path, n, "%s/%s", dir, name);
    int r = vec_load(vf, path);
    free(path);
    return r;
}

void vec_free(struct vec_file *vf)
{
    for (size_t i = 0; i < vf->n; i++)
        free(vf->records[i].fields);
    free(vf->records);
    free(vf->text);
    free(vf->path);
    memset(vf, 0, sizeof *vf);
}

const char *vec_get(const struct vec_record *r, const char *key)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->fields[i].key, key) == 0)
            return r->fields[i].value;
    return NULL;
}

const char *vec_name(const struct vec_record *r)
{
    const char *n = vec_get(r, "name");
    return n ? n : "(unnamed)";
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hex_decode(uint8_t *out, const char *hex, size_t len)
{
    if (len % 2)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int vec_hex(const struct vec_record *r, const char *key, uint8_t **out, size_t *len)
{
    const char *v = vec_get(r, key);
    if (v == NULL) {
        fprintf(stderr, "record at line %u (%s): missing '%s'\n", r->line, vec_name(r), key);
        return -1;
    }
    size_t n = strlen(v);
    uint8_t *b = malloc(n / 2 + 1);
    if (b == NULL)
        return -1;
    if (hex_decode(b, v, n) != 0) {
        fprintf(stderr, "record at line %u (%s): '%s' is not hex\n", r->line, vec_name(r), key);
        free(b);
        return -1;
    }
    *out = b;
    *len = n / 2;
    return 0;
}

int vec_uint(const struct vec_record *r, const char *key, unsigned long *out)
{
    const char *v = vec_get(r, key);
    if (v == NULL) {
        fprintf(stderr, "record at line %u (%s): missing '%s'\n", r->line, vec_name(r), key);
        return -1;
    }
    char *end;
    errno = 0;
    unsigned long x = strtoul(v, &end, 10);
    if (*v == '\0' || *end != '\0' || errno != 0 || !isdigit((unsigned char)*v)) {
        fprintf(stderr, "record at line %u (%s): '%s' is not a decimal number\n", r->line,
                vec_name(r), key);
        return -1;
    }
    *out = x;
    return 0;
}

int vec_only_keys(const struct vec_record *r, const char *path, const char *allowed)
{
    for (size_t i = 0; i < r->n; i++) {
        const char *k = r->fields[i].key;
        size_t kl = strlen(k);
        const char *a = allowed;
        int found = 0;
        while (*a) {
            while (*a == ' ')
                a++;
            size_t wl = strcspn(a, " ");
            if (wl == kl && strncmp(a, k, kl) == 0) {
                found = 1;
                break;
            }
            a += wl;
        }
        if (!found) {
            fprintf(stderr, "%s:%u: unexpected key '%s' (allowed: %s)\n", path, r->line, k,
                    allowed);
            return -1;
        }
    }
    return 0;
}
