/* vecread.h — reader for the known-answer files in tests/vectors/.
 *
 * Format (STYLE.md, "Tests and vectors"):
 *   - The file's first line is "# source: <standard and section>".
 *   - Other lines starting with '#' are comments.
 *   - A record is a run of "key = value" lines; blank lines separate records.
 *   - key is [a-z0-9_]+; value is the rest of the line with the surrounding
 *     white space removed, and may be empty (an empty hex string).
 *   - A key appears at most once per record.
 * Hex values are even-length and case-insensitive. Decimal values are
 * unsigned. Each test decides which keys a file uses and checks them with
 * vec_only_keys, so a misspelt key fails instead of being ignored.
 *
 * Tests may allocate: vec_load copies the file into heap memory and
 * vec_free releases it. */
#ifndef E2E_TESTS_VECREAD_H
#define E2E_TESTS_VECREAD_H

#include <stddef.h>
#include <stdint.h>

struct vec_field {
    const char *key;
    const char *value;
};

struct vec_record {
    unsigned line;              /* line of the record's first field */
    struct vec_field *fields;
    size_t n;
};

struct vec_file {
    char *path;
    char *source;               /* text after "# source:" */
    struct vec_record *records;
    size_t n;
    char *text;                 /* the file, split in place */
};

/* vec_load reads and parses path. Returns 0 on success; on error prints a
 * message naming the file and line to stderr and returns -1. */
int vec_load(struct vec_file *vf, const char *path);
/* vec_load_in joins dir and name, then loads. */
int vec_load_in(struct vec_file *vf, const char *dir, const char *name);
void vec_free(struct vec_file *vf);

/* vec_get returns the value of key in r, or NULL when r has no such key. */
const char *vec_get(const struct vec_record *r, const char *key);
/* vec_name returns the record's "name" value, or "(unnamed)". */
const char *vec_name(const struct vec_record *r);

/* vec_hex decodes r's hex value of key into a fresh heap buffer (*out, never
 * NULL on success, even for an empty value; free it) and its length. Returns
 * 0 on success, -1 if the key is missing or the value is not hex (printed). */
int vec_hex(const struct vec_record *r, const char *key, uint8_t **out, size_t *len);
/* vec_uint parses r's decimal value of key. Returns 0 / -1 like vec_hex. */
int vec_uint(const struct vec_record *r, const char *key, unsigned long *out);
/* vec_only_keys returns 0 if every key of r is in the space-separated list
 * allowed, else prints the first stranger and returns -1. */
int vec_only_keys(const struct vec_record *r, const char *path, const char *allowed);

/* hex_decode decodes hex text (len characters) into out (len/2 bytes).
 * Returns 0 on success, -1 for odd length or a bad digit. */
int hex_decode(uint8_t *out, const char *hex, size_t len);

#endif /* E2E_TESTS_VECREAD_H */
