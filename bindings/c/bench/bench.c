/*
 * One C call, JSON text in, SQL + libpq-ready parameters out: fqb_compile then
 * fqb_compiled_free (or fqb_shim_build at 100 % native with `shim`), N times.
 *
 *   bench SCHEMA.json QUERY.json compile|shim N [wall]
 *
 * With `wall`, prints the median ns per call over 200 batches of N / 200 calls.
 * bindings/c/bench/run.sh compares it with the core (examples/core_loop.rs).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fraiseql_qb.h"

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) exit(2);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) exit(2);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s SCHEMA.json QUERY.json compile|shim N [wall]\n", argv[0]);
        return 2;
    }
    size_t slen, qlen;
    char *stext = read_file(argv[1], &slen);
    char *query = read_file(argv[2], &qlen);
    int shim_mode = strcmp(argv[3], "shim") == 0;
    long n = atol(argv[4]);
    int wall = argc > 5 && strcmp(argv[5], "wall") == 0;
    fqb_schema *schema = NULL;
    if (fqb_schema_new(stext, slen, &schema, NULL) != FQB_OK) return 1;
    fqb_shim *shim = NULL;
    if (shim_mode) {
        fqb_shim_builder *b = NULL;
        fqb_env_var none;
        fqb_shim_builder_new(schema, &b);
        fqb_shim_builder_set_env(b, &none, 0);
        fqb_shim_builder_set_use_native(b, true);
        if (fqb_shim_builder_build(b, &shim, NULL) != FQB_OK) return 1;
        fqb_shim_builder_free(&b);
    }
    size_t total = 0;
    long batch = wall ? (n / 200 > 0 ? n / 200 : 1) : n;
    int rounds = wall ? 200 : 1;
    double samples[200];
    for (int r = 0; r < rounds; r++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < batch; i++) {
            fqb_compiled *c = NULL;
            fqb_result st = shim ? fqb_shim_build(shim, query, qlen, NULL, 0, &c, NULL)
                                 : fqb_compile(schema, query, qlen, NULL, &c, NULL);
            if (st != FQB_OK) return 1;
            total += fqb_compiled_sql_len(c) + (size_t)fqb_compiled_param_count(c);
            fqb_compiled_free(&c);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        samples[r] = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
                     (double)batch;
    }
    if (wall) {
        qsort(samples, 200, sizeof samples[0], cmp);
        printf("%s %.0f ns/call (median of 200 batches of %ld)\n", shim ? "shim" : "c",
               samples[100], batch);
    } else {
        printf("%ld calls, %zu\n", n, total);
    }
    fqb_shim_free(&shim);
    fqb_schema_free(&schema);
    free(stext);
    free(query);
    return 0;
}
