/*
 * The golden corpus through the C API, and through libpq on the test PostgreSQL.
 *
 *   test_golden GOLDEN_RECORDS        (FQB_PG_URL names the database; it must be reachable)
 *
 * For every case of tests/golden/cases (as written by `fqb-c-testgen golden`):
 * - fqb_compile gives exactly the committed SQL and parameters (type, PostgreSQL text), or
 *   exactly the committed error (status = the code's number, code, path, message);
 * - every placeholder of the statement is cast to the type whose OID the parameter
 *   declares (the server resolves the cast's type name), so declaring the OIDs and leaving
 *   them unspecified mean the same;
 * - cases with committed rows run through PQexecParams(conn, sql, n, types, values, NULL,
 *   NULL, 0) and give exactly those rows, once with the OIDs and once with types NULL.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <libpq-fe.h>

#include "testutil.h"

typedef struct expected {
    char *name, *query, *schema, *placeholder;
    char *error_code, *error_path, *error_message;
    unsigned error_number;
    char *sql;
    size_t nparams;
    char *param_type[256];
    char *param_text[256];
    size_t param_len[256];
    int ordered;
    char *rows;
} expected;

static void expected_free(expected *e) {
    free(e->name);
    free(e->query);
    free(e->schema);
    free(e->placeholder);
    free(e->error_code);
    free(e->error_path);
    free(e->error_message);
    free(e->sql);
    for (size_t i = 0; i < e->nparams; i++) {
        free(e->param_type[i]);
        free(e->param_text[i]);
    }
    free(e->rows);
    memset(e, 0, sizeof *e);
}

static PGconn *conn;

/* The OID the server gives a type name (cached). 0 when the server does not know it. */
static unsigned server_oid(const char *type_name) {
    static struct {
        char name[64];
        unsigned oid;
    } cache[64];
    static int used;
    for (int i = 0; i < used; i++)
        if (strcmp(cache[i].name, type_name) == 0) return cache[i].oid;
    const char *values[1] = {type_name};
    PGresult *res = PQexecParams(conn, "SELECT to_regtype($1)::oid", 1, NULL, values, NULL,
                                 NULL, 0);
    unsigned oid = 0;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && !PQgetisnull(res, 0, 0))
        oid = (unsigned)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    if (used < 64 && strlen(type_name) < 64) {
        strcpy(cache[used].name, type_name);
        cache[used++].oid = oid;
    }
    return oid;
}

/* Every `$n` outside string constants is followed by `::type`, and that type is the one
 * the parameter's OID names. */
static void check_casts(const char *name, const fqb_compiled *c) {
    const char *sql = fqb_compiled_sql(c);
    const uint32_t *types = fqb_compiled_param_types(c);
    int n = fqb_compiled_param_count(c);
    int in_literal = 0;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'') in_literal = !in_literal;
        if (in_literal || *p != '$' || !isdigit((unsigned char)p[1])) continue;
        char *end;
        long k = strtol(p + 1, &end, 10);
        CHECK_MSG(k >= 1 && k <= n, "%s: placeholder $%ld of %d", name, k, n);
        if (k < 1 || k > n) return;
        CHECK_MSG(end[0] == ':' && end[1] == ':', "%s: $%ld has no cast", name, k);
        if (end[0] != ':' || end[1] != ':') return;
        char type_name[64];
        size_t len = 0;
        const char *t = end + 2;
        while ((isalnum((unsigned char)*t) || *t == '_') && len < 60) type_name[len++] = *t++;
        if (t[0] == '[' && t[1] == ']') {
            type_name[len++] = '[';
            type_name[len++] = ']';
        }
        type_name[len] = '\0';
        unsigned want = server_oid(type_name);
        CHECK_MSG(want != 0 && types[k - 1] == want,
                  "%s: $%ld is cast to %s (OID %u) but declared OID %u", name, k, type_name,
                  want, types[k - 1]);
        p = end;
    }
}

/* The rows of `sql` as json_agg text (NULL on a server error, printed). */
static char *run(const char *name, const fqb_compiled *c, int with_types) {
    const char *prefix = "SELECT coalesce(json_agg(q), '[]'::json)::text FROM (";
    const char *suffix = "\n) AS q";
    size_t len = strlen(prefix) + fqb_compiled_sql_len(c) + strlen(suffix) + 1;
    char *wrapped = malloc(len);
    snprintf(wrapped, len, "%s%s%s", prefix, fqb_compiled_sql(c), suffix);
    /* Exactly the call the README promises. */
    PGresult *res = PQexecParams(conn, wrapped, fqb_compiled_param_count(c),
                                 with_types ? fqb_compiled_param_types(c) : NULL,
                                 fqb_compiled_param_values(c), NULL, NULL, 0);
    free(wrapped);
    char *out = NULL;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        out = strdup(PQgetvalue(res, 0, 0));
    } else {
        test_fail(__FILE__, __LINE__, "%s: PostgreSQL rejected the statement (types %s): %s",
                  name, with_types ? "declared" : "NULL", PQerrorMessage(conn));
    }
    PQclear(res);
    return out;
}

/* Both row sets as canonical jsonb text (sorted unless the query orders), compared. */
static void check_rows(const char *name, const char *got, const char *want, int ordered) {
    const char *sql =
        "WITH c AS (SELECT (SELECT coalesce(jsonb_agg(e ORDER BY CASE WHEN $3 THEN n END, "
        "e::text), '[]'::jsonb) FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n)) "
        "AS a, (SELECT coalesce(jsonb_agg(e ORDER BY CASE WHEN $3 THEN n END, e::text), "
        "'[]'::jsonb) FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(e, n)) AS b) "
        "SELECT a::text, b::text FROM c";
    const char *values[3] = {got, want, ordered ? "t" : "f"};
    PGresult *res = PQexecParams(conn, sql, 3, NULL, values, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        test_fail(__FILE__, __LINE__, "%s: comparing rows failed: %s", name,
                  PQerrorMessage(conn));
    } else {
        CHECK_MSG(strcmp(PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1)) == 0,
                  "%s: rows differ\n  got  %s\n  want %s", name, PQgetvalue(res, 0, 0),
                  PQgetvalue(res, 0, 1));
    }
    PQclear(res);
}

static fqb_options *options_numbered, *options_format;

static void check_case(const expected *e, const fqb_schema *shared, size_t *executed) {
    fqb_schema *inline_schema = NULL;
    fqb_error *err = NULL;
    const fqb_schema *schema = shared;
    fqb_result st;
    if (e->schema) {
        st = fqb_schema_new(e->schema, strlen(e->schema), &inline_schema, &err);
        if (st != FQB_OK) {
            /* An inline schema's error is the case's expected error. */
            CHECK_MSG(e->error_code != NULL, "%s: schema refused: %s", e->name,
                      fqb_error_text(err));
            if (e->error_code) {
                CHECK_MSG(st == e->error_number, "%s: status %u", e->name, (unsigned)st);
                CHECK_STR(fqb_error_code(err), e->error_code);
                CHECK_STR(fqb_error_path(err), e->error_path);
                CHECK_STR(fqb_error_message(err), e->error_message);
            }
            fqb_error_free(&err);
            return;
        }
        schema = inline_schema;
    }
    int format = strcmp(e->placeholder, "format") == 0;
    fqb_compiled *c = NULL;
    st = fqb_compile(schema, e->query, strlen(e->query),
                     format ? options_format : options_numbered, &c, &err);
    if (e->error_code) {
        CHECK_MSG(st == e->error_number, "%s: status %u (%s), want %u (%s)", e->name,
                  (unsigned)st, fqb_result_code(st), e->error_number, e->error_code);
        CHECK_MSG(c == NULL, "%s: output written on failure", e->name);
        if (err) {
            CHECK_STR(fqb_error_code(err), e->error_code);
            CHECK_STR(fqb_error_path(err), e->error_path);
            CHECK_STR(fqb_error_message(err), e->error_message);
            CHECK(fqb_error_number(err) == e->error_number);
        }
        fqb_error_free(&err);
        fqb_compiled_free(&c);
        fqb_schema_free(&inline_schema);
        return;
    }
    CHECK_MSG(st == FQB_OK, "%s: %s", e->name, fqb_error_text(err));
    fqb_error_free(&err);
    if (st != FQB_OK) {
        fqb_schema_free(&inline_schema);
        return;
    }
    CHECK_MSG(strcmp(fqb_compiled_sql(c), e->sql) == 0, "%s: SQL\n  got  %s\n  want %s",
              e->name, fqb_compiled_sql(c), e->sql);
    CHECK(fqb_compiled_sql_len(c) == strlen(e->sql));
    int n = fqb_compiled_param_count(c);
    CHECK_MSG((size_t)n == e->nparams, "%s: %d params, want %zu", e->name, n, e->nparams);
    const uint32_t *types = fqb_compiled_param_types(c);
    const char *const *values = fqb_compiled_param_values(c);
    CHECK(n == 0 ? (types == NULL && values == NULL) : (types != NULL && values != NULL));
    for (int i = 0; i < n && (size_t)i < e->nparams; i++) {
        fqb_param p;
        CHECK_STATUS(fqb_compiled_param(c, (size_t)i, &p), FQB_OK, NULL);
        char type_name[80];
        snprintf(type_name, sizeof type_name, "%s%s", p.type_name.ptr, p.is_array ? "[]" : "");
        CHECK_MSG(strcmp(type_name, e->param_type[i]) == 0, "%s: $%d type %s, want %s",
                  e->name, i + 1, type_name, e->param_type[i]);
        CHECK_MSG(p.value.len == e->param_len[i] &&
                      memcmp(p.value.ptr, e->param_text[i], p.value.len) == 0,
                  "%s: $%d value\n  got  %s\n  want %s", e->name, i + 1, p.value.ptr,
                  e->param_text[i]);
        CHECK(!p.is_null && values[i] == p.value.ptr && p.value.ptr[p.value.len] == '\0');
        CHECK(types[i] == p.type_oid);
    }
    /* libpq needs `$n`: a format case is compiled once more, numbered, with the same
     * parameters. */
    fqb_compiled *numbered = c;
    if (format) {
        numbered = NULL;
        st = fqb_compile(schema, e->query, strlen(e->query), options_numbered, &numbered, &err);
        CHECK_MSG(st == FQB_OK, "%s: numbered: %s", e->name, fqb_error_text(err));
        fqb_error_free(&err);
        if (numbered) {
            int m = fqb_compiled_param_count(numbered);
            CHECK(m == n);
            for (int i = 0; i < n && i < m; i++) {
                CHECK(strcmp(fqb_compiled_param_values(numbered)[i], values[i]) == 0);
                CHECK(fqb_compiled_param_types(numbered)[i] == types[i]);
            }
        }
    }
    if (numbered) {
        check_casts(e->name, numbered);
        if (e->rows) {
            char *with_types = run(e->name, numbered, 1);
            char *without = run(e->name, numbered, 0);
            if (with_types && without) {
                CHECK_MSG(strcmp(with_types, without) == 0,
                          "%s: declared OIDs and NULL types gave different rows", e->name);
                check_rows(e->name, with_types, e->rows, e->ordered);
                ++*executed;
            }
            free(with_types);
            free(without);
        }
    }
    if (numbered != c) fqb_compiled_free(&numbered);
    fqb_compiled_free(&c);
    fqb_schema_free(&inline_schema);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s GOLDEN_RECORDS\n", argv[0]);
        return 2;
    }
    const char *url = getenv("FQB_PG_URL");
    if (!url || !*url) {
        fprintf(stderr, "FQB_PG_URL is not set: start the test database with "
                        "`scripts/pg.sh start && eval \"$(scripts/pg.sh env)\"`\n");
        return 1;
    }
    conn = PQconnectdb(url);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "cannot connect to %s: %s", url, PQerrorMessage(conn));
        PQfinish(conn);
        return 1;
    }
    options_numbered = fqb_options_new();
    options_format = fqb_options_new();
    CHECK_STATUS(fqb_options_set_placeholder(options_format, FQB_PLACEHOLDER_FORMAT), FQB_OK,
                 NULL);
    records r;
    if (!records_open(&r, argv[1])) return 2;
    fqb_schema *shared = NULL;
    expected e;
    memset(&e, 0, sizeof e);
    size_t cases = 0, executed = 0, errors = 0;
    while (records_next(&r)) {
        if (is_tag(&r, "shared_schema")) {
            fqb_error *err = NULL;
            CHECK_STATUS(fqb_schema_new(r.cur.data, r.cur.len, &shared, &err), FQB_OK, err);
            fqb_error_free(&err);
        } else if (is_tag(&r, "case")) {
            e.name = records_take(&r);
        } else if (is_tag(&r, "query")) {
            e.query = records_take(&r);
        } else if (is_tag(&r, "schema")) {
            e.schema = records_take(&r);
        } else if (is_tag(&r, "placeholder")) {
            e.placeholder = records_take(&r);
        } else if (is_tag(&r, "error_code")) {
            e.error_code = records_take(&r);
        } else if (is_tag(&r, "error_number")) {
            e.error_number = (unsigned)strtoul(r.cur.data, NULL, 10);
        } else if (is_tag(&r, "error_path")) {
            e.error_path = records_take(&r);
        } else if (is_tag(&r, "error_message")) {
            e.error_message = records_take(&r);
        } else if (is_tag(&r, "sql")) {
            e.sql = records_take(&r);
        } else if (is_tag(&r, "param_type")) {
            if (e.nparams == 256) {
                fprintf(stderr, "%s: more than 256 params\n", e.name);
                return 2;
            }
            e.param_type[e.nparams] = records_take(&r);
        } else if (is_tag(&r, "param_text")) {
            e.param_len[e.nparams] = r.cur.len;
            e.param_text[e.nparams++] = records_take(&r);
        } else if (is_tag(&r, "ordered")) {
            e.ordered = r.cur.data[0] == '1';
        } else if (is_tag(&r, "rows")) {
            e.rows = records_take(&r);
        } else if (is_tag(&r, "end")) {
            cases++;
            if (e.error_code) errors++;
            check_case(&e, shared, &executed);
            expected_free(&e);
        } else {
            fprintf(stderr, "unknown record %s\n", r.cur.tag);
            return 2;
        }
    }
    records_close(&r);
    fqb_schema_free(&shared);
    fqb_options_free(&options_numbered);
    fqb_options_free(&options_format);
    PQfinish(conn);
    printf("golden corpus through the C API: %zu cases, %zu executed with libpq, %zu error "
           "cases\n",
           cases, executed, errors);
    CHECK_MSG(cases >= 150, "only %zu cases", cases);
    CHECK_MSG(executed >= 100, "only %zu cases executed", executed);
    return test_report("test_golden");
}
