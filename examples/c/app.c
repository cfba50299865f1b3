/*
 * A libpq application using libfraiseql_qb: it compiles a query (JSON text) into one
 * parameterized statement and runs it with PQexecParams, then moves its traffic from its
 * own ("legacy") query builder to the native compiler through the rollout shim, and prints
 * the rollout metrics.
 *
 *   make -C examples/c            (PKG_CONFIG_PATH must find fraiseql_qb.pc: make install)
 *   examples/c/app CONNINFO tests/golden/schema.json examples/queries/01_active_users.json
 *
 * The shim reads its settings from the process environment, as in production:
 * FRAISEQL_RUST_QB_PERCENTAGE=50 sends half the calls native (docs/rollout.md).
 */
#define _POSIX_C_SOURCE 200809L
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fraiseql_qb.h"

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) exit(1);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Runs a compiled statement with libpq and prints its rows. */
static int run(PGconn *conn, const fqb_compiled *q, int print) {
    PGresult *res = PQexecParams(conn, fqb_compiled_sql(q), fqb_compiled_param_count(q),
                                 fqb_compiled_param_types(q), fqb_compiled_param_values(q),
                                 NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "query failed: %s", PQerrorMessage(conn));
        PQclear(res);
        return -1;
    }
    int rows = PQntuples(res);
    for (int i = 0; print && i < rows; i++) {
        for (int j = 0; j < PQnfields(res); j++)
            printf("%s%s", j ? " | " : "  ", PQgetisnull(res, i, j) ? "NULL" : PQgetvalue(res, i, j));
        printf("\n");
    }
    PQclear(res);
    return rows;
}

/*
 * The application's existing builder: string templates for the one query shape it knows
 * ({"view": "v_user", "select": [...], "where": {"age": {"gte": N}}}). It hands over the SQL
 * and its parameters; the shim copies them, so the buffers here are freed right away.
 */
static int legacy_build(void *user_data, const char *query, size_t len, fqb_legacy_output *out) {
    (void)user_data;
    char *q = strndup(query, len);
    const char *gte = strstr(q, "\"gte\":");
    if (!strstr(q, "\"v_user\"") || !gte) {
        const char msg[] = "legacy builder: unsupported query";
        fqb_legacy_output_set_error(out, msg, sizeof msg - 1);
        free(q);
        return 1;
    }
    char age[32];
    snprintf(age, sizeof age, "%ld", strtol(gte + 6, NULL, 10));
    free(q);
    const char *sql = "SELECT jsonb_build_object('id', t.\"id\", 'email', t.\"data\"->'email') "
                      "AS \"data\" FROM \"v_user\" AS t "
                      "WHERE (t.\"data\"->>'age')::numeric >= $1::bigint";
    if (fqb_legacy_output_set_sql(out, sql, strlen(sql)) != FQB_OK) return 1;
    return fqb_legacy_output_add_param(out, 20 /* int8 */, age, strlen(age)) == FQB_OK ? 0 : 1;
}

static void log_line(void *user_data, uint32_t level, const char *msg, size_t len) {
    (void)user_data;
    (void)len;
    fprintf(stderr, "[%s] %s\n", level == FQB_LOG_WARNING ? "warning" : "debug", msg);
}

static void fail(const char *what, fqb_result st, fqb_error *err) {
    fprintf(stderr, "%s failed (%u): %s\n", what, (unsigned)st, fqb_error_text(err));
    fqb_error_free(&err);
    exit(1);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s CONNINFO SCHEMA.json QUERY.json\n", argv[0]);
        return 2;
    }
    printf("libfraiseql_qb %s (header %s)\n", fqb_version(), FQB_VERSION);
    PGconn *conn = PQconnectdb(argv[1]);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "%s", PQerrorMessage(conn));
        return 1;
    }
    size_t schema_len, query_len;
    char *schema_text = read_file(argv[2], &schema_len);
    char *query_text = read_file(argv[3], &query_len);
    fqb_schema *schema = NULL;
    fqb_error *err = NULL;
    fqb_result st = fqb_schema_new(schema_text, schema_len, &schema, &err);
    if (st != FQB_OK) fail("fqb_schema_new", st, err);

    /* 1. Compile and run one query. */
    fqb_compiled *q = NULL;
    st = fqb_compile(schema, query_text, query_len, NULL, &q, &err);
    if (st != FQB_OK) fail("fqb_compile", st, err);
    printf("\n== %s\n%s\n", argv[3], fqb_compiled_sql(q));
    for (int i = 0; i < fqb_compiled_param_count(q); i++) {
        fqb_param p;
        fqb_compiled_param(q, (size_t)i, &p);
        printf("  $%d %s%s (OID %u) = %s\n", i + 1, p.type_name.ptr, p.is_array ? "[]" : "",
               p.type_oid, p.value.ptr);
    }
    int rows = run(conn, q, 1);
    printf("%d rows\n", rows);
    fqb_compiled_free(&q);

    /* 2. An invalid query: a status, and an error with the code and the path. */
    const char bad[] = "{\"view\": \"v_user\", \"select\": [\"id\"], \"where\": {\"emial\": {\"eq\": 1}}}";
    st = fqb_compile(schema, bad, sizeof bad - 1, NULL, &q, &err);
    printf("\n== an invalid query: status %u, %s\n", (unsigned)st, fqb_error_text(err));
    fqb_error_free(&err);

    /* 3. The rollout shim around the legacy builder, configured from the environment. */
    fqb_shim_builder *b = NULL;
    fqb_shim *shim = NULL;
    fqb_shim_builder_new(schema, &b);
    fqb_shim_builder_set_legacy(b, legacy_build, NULL);
    fqb_shim_builder_set_log(b, log_line, NULL);
    st = fqb_shim_builder_build(b, &shim, &err);
    fqb_shim_builder_free(&b);
    if (st != FQB_OK) fail("fqb_shim_builder_build", st, err);
    fqb_config cfg;
    fqb_shim_config(shim, &cfg);
    printf("\n== rollout: %u.%02u%% native\n", cfg.percentage_bp / 100, cfg.percentage_bp % 100);
    int native = 0, legacy = 0;
    for (int i = 0; i < 20; i++) {
        char query[160], key[32];
        snprintf(query, sizeof query,
                 "{\"view\": \"v_user\", \"select\": [\"id\", \"email\"], "
                 "\"where\": {\"age\": {\"gte\": %d}}}", 20 + 2 * i);
        snprintf(key, sizeof key, "tenant-%d", i % 5);
        st = fqb_shim_build(shim, query, strlen(query), key, strlen(key), &q, &err);
        if (st != FQB_OK) fail("fqb_shim_build", st, err);
        if (run(conn, q, 0) < 0) return 1;
        if (fqb_compiled_served_by(q) == FQB_BUILDER_NATIVE) native++; else legacy++;
        fqb_compiled_free(&q);
    }
    printf("20 calls: %d native, %d legacy\n", native, legacy);
    fqb_metrics m;
    fqb_shim_metrics(shim, &m);
    printf("metrics: rust_calls=%llu python_calls=%llu rust_errors=%llu rust_fallbacks=%llu "
           "total_calls=%llu rust_percentage=%.1f rust_error_rate=%.1f "
           "avg_rust_time_ms=%.4f avg_python_time_ms=%.4f\n",
           (unsigned long long)m.rust_calls, (unsigned long long)m.python_calls,
           (unsigned long long)m.rust_errors, (unsigned long long)m.rust_fallbacks,
           (unsigned long long)m.total_calls, m.rust_percentage, m.rust_error_rate,
           m.avg_rust_time_ms, m.avg_python_time_ms);
    fqb_buffer *text = NULL;
    fqb_shim_prometheus(shim, &text);
    printf("\n%s", fqb_buffer_data(text));
    fqb_buffer_free(&text);

    fqb_shim_free(&shim);
    fqb_schema_free(&schema);
    free(schema_text);
    free(query_text);
    PQfinish(conn);
    return native + legacy == 20 ? 0 : 1;
}
