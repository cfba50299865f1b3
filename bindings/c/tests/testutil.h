/*
 * Shared helpers of the C tests: checks that count failures instead of aborting, and the
 * reader of the record files written by fqb-c-testgen (`<tag> <length>\n<bytes>\n`).
 */
#ifndef FQB_TESTUTIL_H
#define FQB_TESTUTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fraiseql_qb.h"

static int test_failures = 0;
static int test_checks = 0;

static inline void test_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    test_failures++;
}

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        test_checks++;                                                                    \
        if (!(cond)) test_fail(__FILE__, __LINE__, "%s", #cond);                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                              \
    do {                                                                                  \
        test_checks++;                                                                    \
        if (!(cond)) test_fail(__FILE__, __LINE__, __VA_ARGS__);                          \
    } while (0)

/* A status check that prints the status code and the error text when there is one. */
#define CHECK_STATUS(got, want, err)                                                      \
    do {                                                                                  \
        fqb_result got_ = (got);                                                          \
        test_checks++;                                                                    \
        if (got_ != (fqb_result)(want))                                                   \
            test_fail(__FILE__, __LINE__, "status %u (%s), want %u (%s): %s",             \
                      (unsigned)got_, fqb_result_code(got_), (unsigned)(want),            \
                      fqb_result_code(want), fqb_error_text(err));                        \
    } while (0)

#define CHECK_STR(got, want)                                                              \
    do {                                                                                  \
        const char *g_ = (got), *w_ = (want);                                             \
        test_checks++;                                                                    \
        if (strcmp(g_, w_) != 0)                                                          \
            test_fail(__FILE__, __LINE__, "got \"%s\", want \"%s\"", g_, w_);             \
    } while (0)

static inline int test_report(const char *name) {
    if (test_failures) {
        fprintf(stderr, "%s: %d of %d checks failed\n", name, test_failures, test_checks);
        return 1;
    }
    printf("%s: %d checks passed\n", name, test_checks);
    return 0;
}

/* ---- records ---------------------------------------------------------------------- */

typedef struct record {
    char tag[32];
    char *data; /* NUL-terminated copy (data may also hold NUL bytes: use len) */
    size_t len;
} record;

typedef struct records {
    FILE *f;
    record cur;
} records;

static inline int records_open(records *r, const char *path) {
    memset(r, 0, sizeof *r);
    r->f = fopen(path, "rb");
    if (!r->f) {
        fprintf(stderr, "cannot open %s\n", path);
        return 0;
    }
    return 1;
}

static inline void records_close(records *r) {
    free(r->cur.data);
    r->cur.data = NULL;
    if (r->f) fclose(r->f);
    r->f = NULL;
}

/* Reads the next record into r->cur; 0 at the end of the file. Exits on a broken file. */
static inline int records_next(records *r) {
    size_t len = 0;
    free(r->cur.data);
    r->cur.data = NULL;
    if (fscanf(r->f, "%31s %zu", r->cur.tag, &len) != 2) return 0;
    if (fgetc(r->f) != '\n') goto broken;
    r->cur.data = malloc(len + 1);
    if (!r->cur.data) goto broken;
    if (len && fread(r->cur.data, 1, len, r->f) != len) goto broken;
    r->cur.data[len] = '\0';
    r->cur.len = len;
    if (fgetc(r->f) != '\n') goto broken;
    return 1;
broken:
    fprintf(stderr, "broken record file (at tag %s)\n", r->cur.tag);
    exit(2);
}

static inline int is_tag(const records *r, const char *tag) { return strcmp(r->cur.tag, tag) == 0; }

/* A heap copy of the current record's data (NUL-terminated). */
static inline char *records_take(records *r) {
    char *d = r->cur.data;
    r->cur.data = NULL;
    return d;
}

#endif
