/*
 * The C API's conventions, checked: versions, statuses and error handles, outputs written
 * only on success, NULL pointers, invalid UTF-8, truncated / huge / deeply nested JSON,
 * free functions that take the handle's address (double free through one variable is a
 * no-op), options, and one schema shared by 8 compiling threads.
 *
 *   test_api SCHEMA_JSON_FILE
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "testutil.h"

static const char *schema_text;
static size_t schema_len;
static fqb_schema *schema;

#define Q_GOOD "{\"view\": \"v_user\", \"select\": [\"id\", \"email\"], " \
               "\"where\": {\"email\": {\"icontains\": \"@example.com\"}, " \
               "\"id\": {\"in\": [\"11111111-0000-0000-0000-000000000001\"]}}, \"limit\": 10}"

/* A sentinel: an output that must stay untouched when a call fails. */
#define UNTOUCHED ((void *)&schema_len)

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) n = 0;
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static fqb_result compile(const char *q, size_t len, const fqb_options *o, fqb_compiled **c,
                          fqb_error **e) {
    return fqb_compile(schema, q, len, o, c, e);
}

static void test_version(void) {
    CHECK_STR(fqb_version(), FQB_VERSION);
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", FQB_VERSION_MAJOR, FQB_VERSION_MINOR,
             FQB_VERSION_PATCH);
    CHECK_STR(fqb_version(), want);
}

static void test_status_codes(void) {
    CHECK_STR(fqb_result_code(FQB_OK), "FQB_OK");
    CHECK_STR(fqb_result_code(FQB_UNKNOWN_FIELD), "QB_UNKNOWN_FIELD");
    CHECK_STR(fqb_result_code(FQB_INTERNAL), "QB_INTERNAL");
    CHECK_STR(fqb_result_code(FQB_NULL_PARAMETER), "FQB_NULL_PARAMETER");
    CHECK_STR(fqb_result_code(FQB_NO_BUILDER), "FQB_NO_BUILDER");
    CHECK(fqb_result_code(999) == NULL);
    CHECK_STR(fqb_result_code(FQB_INVALID_CURSOR), "QB_INVALID_CURSOR");
    CHECK_STR(fqb_result_code(FQB_GRAPHQL_INVALID), "QB_GRAPHQL_INVALID");
    CHECK(fqb_result_code(19) == NULL);
    /* Core statuses are docs/errors.md's numbers. */
    CHECK(FQB_INVALID_JSON == 1 && FQB_UNSUPPORTED == 13 && FQB_INTERNAL == 14);
    CHECK(FQB_INVALID_CURSOR == 15 && FQB_CURSOR_MISMATCH == 16 && FQB_NO_PRIMARY_KEY == 17 &&
          FQB_GRAPHQL_INVALID == 18);
}

static void test_compile_and_accessors(void) {
    fqb_compiled *c = NULL;
    fqb_error *err = NULL;
    CHECK_STATUS(compile(Q_GOOD, strlen(Q_GOOD), NULL, &c, &err), FQB_OK, err);
    CHECK(err == NULL);
    CHECK(strstr(fqb_compiled_sql(c), "ILIKE $1::text") != NULL);
    CHECK(strstr(fqb_compiled_sql(c), "= ANY($2::uuid[])") != NULL);
    CHECK(fqb_compiled_sql_len(c) == strlen(fqb_compiled_sql(c)));
    CHECK(fqb_compiled_param_count(c) == 3);
    CHECK(fqb_compiled_served_by(c) == FQB_BUILDER_NATIVE);
    const uint32_t *types = fqb_compiled_param_types(c);
    const char *const *values = fqb_compiled_param_values(c);
    CHECK(types[0] == 25 && types[1] == 2951 && types[2] == 20);
    CHECK_STR(values[0], "%@example.com%");
    CHECK_STR(values[1], "{\"11111111-0000-0000-0000-000000000001\"}");
    CHECK_STR(values[2], "10");
    fqb_param p;
    CHECK_STATUS(fqb_compiled_param(c, 1, &p), FQB_OK, NULL);
    CHECK(p.type_oid == 2951 && p.is_array && !p.is_null);
    CHECK(p.type_name.len == 4 && strcmp(p.type_name.ptr, "uuid") == 0);
    CHECK(p.value.ptr == values[1] && p.value.len == strlen(values[1]));
    /* Past the end: a status, and the output untouched. */
    fqb_param before = p;
    CHECK_STATUS(fqb_compiled_param(c, 3, &p), FQB_INVALID_ARGUMENT, NULL);
    CHECK(p.type_oid == before.type_oid && p.value.ptr == before.value.ptr &&
          p.type_name.ptr == before.type_name.ptr);
    CHECK_STATUS(fqb_compiled_param(c, 0, NULL), FQB_NULL_PARAMETER, NULL);
    CHECK_STATUS(fqb_compiled_param(NULL, 0, &p), FQB_NULL_PARAMETER, NULL);
    fqb_compiled_free(&c);
    CHECK(c == NULL);
    fqb_compiled_free(&c); /* the same variable again: a no-op */
    fqb_compiled_free(NULL);

    /* NULL handles give neutral values. */
    CHECK_STR(fqb_compiled_sql(NULL), "");
    CHECK(fqb_compiled_sql_len(NULL) == 0 && fqb_compiled_param_count(NULL) == 0);
    CHECK(fqb_compiled_param_types(NULL) == NULL && fqb_compiled_param_values(NULL) == NULL);
    CHECK_STR(fqb_error_code(NULL), "");
    CHECK(fqb_error_number(NULL) == 0 && fqb_error_legacy_status(NULL) == 0);

    /* No parameters: NULL arrays, as libpq accepts for nParams = 0. */
    const char *q0 = "{\"view\": \"v_user\", \"select\": [\"id\"]}";
    CHECK_STATUS(compile(q0, strlen(q0), NULL, &c, NULL), FQB_OK, NULL);
    CHECK(fqb_compiled_param_count(c) == 0);
    CHECK(fqb_compiled_param_types(c) == NULL && fqb_compiled_param_values(c) == NULL);
    fqb_compiled_free(&c);
}

static void test_errors(void) {
    fqb_compiled *c = UNTOUCHED;
    fqb_error *err = NULL;
    const char *q = "{\"view\": \"v_user\", \"select\": [\"id\"], "
                    "\"where\": {\"emial\": {\"eq\": \"x\"}}}";
    CHECK_STATUS(compile(q, strlen(q), NULL, &c, &err), FQB_UNKNOWN_FIELD, err);
    CHECK(c == UNTOUCHED);
    CHECK(fqb_error_number(err) == FQB_UNKNOWN_FIELD);
    CHECK_STR(fqb_error_code(err), "QB_UNKNOWN_FIELD");
    CHECK_STR(fqb_error_path(err), "where.emial");
    CHECK(strlen(fqb_error_message(err)) > 0);
    char text[512];
    snprintf(text, sizeof text, "QB_UNKNOWN_FIELD at where.emial: %s", fqb_error_message(err));
    CHECK_STR(fqb_error_text(err), text);
    CHECK(fqb_error_legacy_status(err) == 0);
    fqb_error_free(&err);
    CHECK(err == NULL);
    fqb_error_free(&err);
    /* error_out NULL: the status alone. */
    CHECK_STATUS(compile(q, strlen(q), NULL, &c, NULL), FQB_UNKNOWN_FIELD, NULL);
    CHECK(c == UNTOUCHED);
    /* A NUL character inside a value: refused by the core (PostgreSQL text cannot hold
     * it), never cut short. */
    const char *nul = "{\"view\": \"v_user\", \"select\": [\"id\"], "
                      "\"where\": {\"email\": {\"eq\": \"a\\u0000b\"}}}";
    CHECK_STATUS(compile(nul, strlen(nul), NULL, &c, &err), FQB_INVALID_VALUE, err);
    CHECK_STR(fqb_error_path(err), "where.email.eq");
    fqb_error_free(&err);
}

/* count distinct, having, distinct and distinct_on: JSON text in, the core's statement out;
 * nothing in the binding knows these keys (the golden corpus runs them on PostgreSQL). */
static void test_aggregates_and_distinct(void) {
    fqb_compiled *c = NULL;
    fqb_error *err = NULL;
    const char *q = "{\"view\": \"v_post\", \"select\": [\"tenant_id\", {\"aggregate\": \"count\", "
                    "\"field\": \"author_id\", \"distinct\": true, \"alias\": \"authors\"}], "
                    "\"group_by\": [\"tenant_id\"], \"having\": {\"authors\": {\"gt\": 1}}}";
    CHECK_STATUS(compile(q, strlen(q), NULL, &c, &err), FQB_OK, err);
    CHECK(strstr(fqb_compiled_sql(c), "count(DISTINCT (t.\"data\"->>'author_id')::uuid)") != NULL);
    CHECK(strstr(fqb_compiled_sql(c), " HAVING (count(DISTINCT ") != NULL);
    CHECK(fqb_compiled_param_count(c) == 1);
    fqb_compiled_free(&c);
    const char *on = "{\"view\": \"v_post\", \"select\": [\"id\"], \"distinct_on\": [\"tenant_id\"], "
                     "\"order_by\": [{\"field\": \"created_at\", \"direction\": \"desc\"}]}";
    CHECK_STATUS(compile(on, strlen(on), NULL, &c, &err), FQB_OK, err);
    const char *prefix = "SELECT DISTINCT ON (t.\"tenant_id\") jsonb_build_object(";
    CHECK(strncmp(fqb_compiled_sql(c), prefix, strlen(prefix)) == 0);
    CHECK(strstr(fqb_compiled_sql(c), "ORDER BY t.\"tenant_id\" ASC, t.\"created_at\" DESC") != NULL);
    fqb_compiled_free(&c);
    const char *bad = "{\"view\": \"v_post\", \"select\": [\"title\"], \"distinct\": true, "
                      "\"order_by\": [\"views\"]}";
    CHECK_STATUS(compile(bad, strlen(bad), NULL, &c, &err), FQB_INVALID_GROUP_BY, err);
    CHECK_STR(fqb_error_path(err), "order_by[0]");
    fqb_error_free(&err);
}

static void test_null_and_utf8(void) {
    fqb_compiled *c = UNTOUCHED;
    fqb_error *err = NULL;
    CHECK_STATUS(fqb_compile(NULL, Q_GOOD, strlen(Q_GOOD), NULL, &c, &err), FQB_NULL_PARAMETER,
                 err);
    CHECK_STR(fqb_error_code(err), "FQB_NULL_PARAMETER");
    CHECK_STR(fqb_error_message(err), "`schema` is NULL");
    CHECK(fqb_error_number(err) == FQB_NULL_PARAMETER);
    fqb_error_free(&err);
    CHECK_STATUS(compile(NULL, 0, NULL, &c, &err), FQB_NULL_PARAMETER, err);
    CHECK_STR(fqb_error_message(err), "`query` is NULL");
    fqb_error_free(&err);
    CHECK_STATUS(compile(Q_GOOD, strlen(Q_GOOD), NULL, NULL, &err), FQB_NULL_PARAMETER, err);
    CHECK_STR(fqb_error_message(err), "`compiled_out` is NULL");
    fqb_error_free(&err);
    CHECK(c == UNTOUCHED);

    /* Invalid UTF-8, anywhere. */
    const char bad[] = "{\"view\": \"v_\xff\xfe\", \"select\": [\"id\"]}";
    CHECK_STATUS(compile(bad, sizeof bad - 1, NULL, &c, &err), FQB_INVALID_UTF8, err);
    CHECK_STR(fqb_error_code(err), "FQB_INVALID_UTF8");
    CHECK(strstr(fqb_error_message(err), "offset 12") != NULL);
    fqb_error_free(&err);
    const char overlong[] = "\xc0\xaf";
    CHECK_STATUS(compile(overlong, 2, NULL, &c, NULL), FQB_INVALID_UTF8, NULL);
    const char surrogate[] = "\"\xed\xa0\x80\"";
    CHECK_STATUS(compile(surrogate, 5, NULL, &c, NULL), FQB_INVALID_UTF8, NULL);
    fqb_schema *s = UNTOUCHED;
    CHECK_STATUS(fqb_schema_new(bad, sizeof bad - 1, &s, NULL), FQB_INVALID_UTF8, NULL);
    CHECK_STATUS(fqb_schema_new(NULL, 3, &s, NULL), FQB_NULL_PARAMETER, NULL);
    CHECK_STATUS(fqb_schema_new("{}", 2, NULL, NULL), FQB_NULL_PARAMETER, NULL);
    CHECK(s == UNTOUCHED);

    /* A length no object can have: refused before anything is read. */
    CHECK_STATUS(compile(Q_GOOD, SIZE_MAX, NULL, &c, &err), FQB_INVALID_ARGUMENT, err);
    fqb_error_free(&err);
    /* Empty input (not NULL): the core's invalid JSON. */
    CHECK_STATUS(compile("", 0, NULL, &c, NULL), FQB_INVALID_JSON, NULL);
    CHECK(c == UNTOUCHED);
    /* Lengths are what count, not NUL terminators: the text may go on. */
    CHECK_STATUS(compile(Q_GOOD "garbage", strlen(Q_GOOD), NULL, &c, NULL), FQB_OK, NULL);
    fqb_compiled_free(&c);
}

static void test_truncated(void) {
    /* Every proper prefix of a valid query is refused with a status; none crashes. */
    size_t len = strlen(Q_GOOD), refused = 0;
    for (size_t i = 0; i < len; i++) {
        fqb_compiled *c = NULL;
        fqb_error *err = NULL;
        fqb_result st = compile(Q_GOOD, i, NULL, &c, &err);
        CHECK_MSG(st != FQB_OK && c == NULL && err != NULL, "prefix %zu: status %u", i,
                  (unsigned)st);
        CHECK_MSG(st == FQB_INVALID_JSON, "prefix %zu: %s", i, fqb_error_text(err));
        refused += st != FQB_OK;
        fqb_error_free(&err);
        fqb_compiled_free(&c);
    }
    CHECK(refused == len);
    /* Truncated schemas too. */
    for (size_t i = 0; i < schema_len; i += 97) {
        fqb_schema *s = NULL;
        fqb_error *err = NULL;
        CHECK_MSG(fqb_schema_new(schema_text, i, &s, &err) == FQB_INVALID_JSON && s == NULL,
                  "schema prefix %zu: %s", i, fqb_error_text(err));
        fqb_error_free(&err);
    }
}

static char *repeat(const char *head, const char *unit, size_t n, const char *tail) {
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * n + tl + 1);
    memcpy(s, head, hl);
    for (size_t i = 0; i < n; i++) memcpy(s + hl + i * ul, unit, ul);
    memcpy(s + hl + ul * n, tail, tl + 1);
    return s;
}

static void test_huge_and_deep(void) {
    fqb_compiled *c = NULL;
    fqb_error *err = NULL;
    /* A 4 MiB string value: over the 1 MiB string limit. */
    char *big = repeat("{\"view\": \"v_user\", \"select\": [\"id\"], \"where\": {\"email\": "
                       "{\"eq\": \"",
                       "abcdefgh", 512 * 1024, "\"}}}");
    CHECK_STATUS(compile(big, strlen(big), NULL, &c, &err), FQB_SIZE_LIMIT, err);
    CHECK_STR(fqb_error_path(err), "where.email.eq");
    fqb_error_free(&err);
    free(big);
    /* 200,000 list items: over the 100,000 list limit. */
    char *list = repeat("{\"view\": \"v_user\", \"select\": [\"id\"], \"where\": {\"email\": "
                        "{\"in\": [\"a\"",
                        ",\"a\"", 200000, "]}}}");
    CHECK_STATUS(compile(list, strlen(list), NULL, &c, &err), FQB_SIZE_LIMIT, err);
    fqb_error_free(&err);
    free(list);
    /* 100,000 nested arrays: the JSON parser's depth limit, not a stack overflow. */
    char *open = repeat("", "[", 100000, "");
    char *deep = repeat(open, "]", 100000, "");
    CHECK_STATUS(compile(deep, strlen(deep), NULL, &c, &err), FQB_DEPTH_LIMIT, err);
    fqb_error_free(&err);
    CHECK_STATUS(fqb_schema_new(deep, strlen(deep), (fqb_schema **)&c, NULL), FQB_DEPTH_LIMIT,
                 NULL);
    free(open);
    free(deep);
    /* 100 nested `not`s: the query depth limit (64 by default), with the path. */
    char *nots_open = repeat("{\"view\": \"v_user\", \"select\": [\"id\"], \"where\": ",
                             "{\"not\": ", 100, "{\"age\": {\"gt\": 1}}");
    char *nots = repeat(nots_open, "}", 101, "");
    CHECK_STATUS(compile(nots, strlen(nots), NULL, &c, &err), FQB_DEPTH_LIMIT, err);
    CHECK(strcmp(fqb_error_path(err), "where.(not × 64)") == 0);
    fqb_error_free(&err);
    /* Lower limits through the options: the same query then fails at depth 5. */
    fqb_options *o = fqb_options_new();
    CHECK_STATUS(fqb_options_set_limits(o, 5, 100000, 100000, 1 << 20), FQB_OK, NULL);
    const char *q = "{\"view\": \"v_user\", \"select\": [\"id\"], \"where\": {\"not\": {\"not\": "
                    "{\"not\": {\"not\": {\"not\": {\"not\": {\"age\": {\"gt\": 1}}}}}}}}}";
    CHECK_STATUS(compile(q, strlen(q), NULL, &c, NULL), FQB_OK, NULL);
    fqb_compiled_free(&c);
    CHECK_STATUS(compile(q, strlen(q), o, &c, NULL), FQB_DEPTH_LIMIT, NULL);
    CHECK(c == NULL);
    fqb_options_free(&o);
    free(nots_open);
    free(nots);
}

/* The schema's shape cache: a second compile of one shape is a hit with the same result; a
 * schema without a cache compiles the same; counters; NULL checks. */
static void test_cache(void) {
    fqb_schema *uncached = NULL;
    CHECK_STATUS(fqb_schema_new_with_cache(schema_text, schema_len, 0, &uncached, NULL), FQB_OK,
                 NULL);
    fqb_cache_stats before, after, none;
    CHECK_STATUS(fqb_schema_cache_stats(schema, &before), FQB_OK, NULL);
    CHECK(before.capacity == 1024);
    for (int i = 0; i < 2; i++) {
        fqb_compiled *a = NULL, *b = NULL;
        CHECK_STATUS(compile(Q_GOOD, strlen(Q_GOOD), NULL, &a, NULL), FQB_OK, NULL);
        CHECK_STATUS(fqb_compile(uncached, Q_GOOD, strlen(Q_GOOD), NULL, &b, NULL), FQB_OK, NULL);
        CHECK(strcmp(fqb_compiled_sql(a), fqb_compiled_sql(b)) == 0);
        CHECK(fqb_compiled_param_count(a) == fqb_compiled_param_count(b));
        fqb_compiled_free(&a);
        fqb_compiled_free(&b);
    }
    /* A bad operand on a hit: the same error as without the cache. */
    const char *bad = "{\"view\": \"v_user\", \"select\": [\"id\", \"email\"], "
                      "\"where\": {\"email\": {\"icontains\": 5}, "
                      "\"id\": {\"in\": [\"11111111-0000-0000-0000-000000000001\"]}}, \"limit\": 10}";
    fqb_compiled *c = NULL;
    CHECK_STATUS(compile(bad, strlen(bad), NULL, &c, NULL), FQB_INVALID_VALUE, NULL);
    CHECK(c == NULL);
    CHECK_STATUS(fqb_schema_cache_stats(schema, &after), FQB_OK, NULL);
    CHECK(after.hits >= before.hits + 2);
    /* The second compile of Q_GOOD read its text's document key. */
    CHECK(after.document_hits >= before.document_hits + 1);
    CHECK(after.document_hits <= after.hits);
    CHECK(after.recompiles == before.recompiles + 1);
    CHECK(after.len >= 1 && after.bytes > 0);
    CHECK_STATUS(fqb_schema_cache_stats(uncached, &none), FQB_OK, NULL);
    CHECK(none.capacity == 0 && none.len == 0 && none.hits == 0 && none.document_hits == 0);
    CHECK_STATUS(fqb_schema_cache_stats(NULL, &none), FQB_NULL_PARAMETER, NULL);
    CHECK_STATUS(fqb_schema_cache_stats(schema, NULL), FQB_NULL_PARAMETER, NULL);
    fqb_schema_free(&uncached);
}

/* Prepared shapes: the statement of a query of the prepared shape equals fqb_compile's; a
 * bad operand and another shape are errors; outputs untouched on failure; NULL-safe free. */
static void test_prepared(void) {
    fqb_prepared *p = NULL;
    fqb_error *err = NULL;
    CHECK_STATUS(fqb_prepared_new(schema, Q_GOOD, strlen(Q_GOOD), NULL, &p, &err), FQB_OK, err);
    const char *q2 = "{\"view\": \"v_user\", \"select\": [\"id\", \"email\"], "
                     "\"where\": {\"email\": {\"icontains\": \"@other.org\"}, "
                     "\"id\": {\"in\": [\"11111111-0000-0000-0000-000000000002\", "
                     "\"11111111-0000-0000-0000-000000000003\"]}}, \"limit\": 3}";
    fqb_compiled *a = NULL, *b = NULL;
    CHECK_STATUS(fqb_prepared_compile(p, q2, strlen(q2), &a, NULL), FQB_OK, NULL);
    CHECK_STATUS(compile(q2, strlen(q2), NULL, &b, NULL), FQB_OK, NULL);
    CHECK(strcmp(fqb_compiled_sql(a), fqb_prepared_sql(p)) == 0);
    CHECK(strcmp(fqb_compiled_sql(a), fqb_compiled_sql(b)) == 0);
    CHECK(fqb_compiled_param_count(a) == 3 && fqb_compiled_param_count(b) == 3);
    fqb_compiled_free(&a);
    fqb_compiled_free(&b);
    const char *other = "{\"view\": \"v_user\", \"select\": [\"id\"]}";
    fqb_compiled *c = UNTOUCHED;
    CHECK_STATUS(fqb_prepared_compile(p, other, strlen(other), &c, &err), FQB_INVALID_QUERY, err);
    CHECK(c == UNTOUCHED);
    fqb_error_free(&err);
    const char *bad = "{\"view\": \"v_user\", \"select\": [\"id\", \"email\"], "
                      "\"where\": {\"email\": {\"icontains\": 5}, "
                      "\"id\": {\"in\": [\"11111111-0000-0000-0000-000000000001\"]}}, \"limit\": 10}";
    CHECK_STATUS(fqb_prepared_compile(p, bad, strlen(bad), &c, NULL), FQB_INVALID_VALUE, NULL);
    CHECK(c == UNTOUCHED);
    CHECK_STATUS(fqb_prepared_compile(NULL, bad, strlen(bad), &c, NULL), FQB_NULL_PARAMETER, NULL);
    fqb_prepared *none = UNTOUCHED;
    const char *unknown = "{\"view\": \"v_user\", \"select\": [\"nope\"]}";
    CHECK_STATUS(fqb_prepared_new(schema, unknown, strlen(unknown), NULL, &none, NULL),
                 FQB_UNKNOWN_FIELD, NULL);
    CHECK(none == UNTOUCHED);
    CHECK(fqb_prepared_sql(NULL) == NULL);
    fqb_prepared_free(&p);
    CHECK(p == NULL);
    fqb_prepared_free(&p);
    fqb_prepared_free(NULL);
}

/* Binding a prepared shape from its operand values (a JSON array): the operands' paths and
 * kinds; the statement equals fqb_compile's of the query holding those values, libpq-ready
 * text included; a bad value fails as fqb_compile does, at the operand's path; a wrong
 * count or a non-array is FQB_INVALID_QUERY; outputs untouched on failure. */
static void test_prepared_bind_values(void) {
    fqb_prepared *p = NULL;
    fqb_error *err = NULL;
    CHECK_STATUS(fqb_prepared_new(schema, Q_GOOD, strlen(Q_GOOD), NULL, &p, &err), FQB_OK, err);
    CHECK(fqb_prepared_operand_count(p) == 3);
    CHECK_STR(fqb_prepared_operand_path(p, 0), "where.email.icontains");
    CHECK_STR(fqb_prepared_operand_kind(p, 0), "string");
    CHECK_STR(fqb_prepared_operand_path(p, 1), "where.id.in");
    CHECK_STR(fqb_prepared_operand_kind(p, 1), "list of uuid");
    CHECK_STR(fqb_prepared_operand_path(p, 2), "limit");
    CHECK_STR(fqb_prepared_operand_kind(p, 2), "count");
    CHECK(fqb_prepared_operand_path(p, 3) == NULL && fqb_prepared_operand_kind(p, 3) == NULL);
    CHECK(fqb_prepared_operand_count(NULL) == 0 && fqb_prepared_operand_path(NULL, 0) == NULL);

    const char *values = "[\"@other.org\", [\"11111111-0000-0000-0000-000000000002\", "
                         "\"11111111-0000-0000-0000-000000000003\"], 3]";
    const char *q2 = "{\"view\": \"v_user\", \"select\": [\"id\", \"email\"], "
                     "\"where\": {\"email\": {\"icontains\": \"@other.org\"}, "
                     "\"id\": {\"in\": [\"11111111-0000-0000-0000-000000000002\", "
                     "\"11111111-0000-0000-0000-000000000003\"]}}, \"limit\": 3}";
    fqb_compiled *a = NULL, *b = NULL;
    CHECK_STATUS(fqb_prepared_bind_values(p, values, strlen(values), &a, &err), FQB_OK, err);
    CHECK_STATUS(compile(q2, strlen(q2), NULL, &b, NULL), FQB_OK, NULL);
    CHECK_STR(fqb_compiled_sql(a), fqb_prepared_sql(p));
    CHECK_STR(fqb_compiled_sql(a), fqb_compiled_sql(b));
    CHECK(fqb_compiled_param_count(a) == 3 && fqb_compiled_param_count(b) == 3);
    const char *const *va = fqb_compiled_param_values(a);
    const char *const *vb = fqb_compiled_param_values(b);
    for (int i = 0; i < 3; i++) {
        CHECK_STR(va[i], vb[i]);
        CHECK(fqb_compiled_param_types(a)[i] == fqb_compiled_param_types(b)[i]);
    }
    CHECK_STR(va[0], "%@other.org%");
    CHECK_STR(va[2], "3");
    fqb_compiled_free(&a);
    fqb_compiled_free(&b);

    fqb_compiled *c = UNTOUCHED;
    const char *bad = "[\"x\", [\"11111111-0000-0000-0000-000000000001\", \"nope\"], 3]";
    CHECK_STATUS(fqb_prepared_bind_values(p, bad, strlen(bad), &c, &err), FQB_INVALID_VALUE, err);
    CHECK_STR(fqb_error_path(err), "where.id.in[1]");
    fqb_error_free(&err);
    CHECK(c == UNTOUCHED);
    const char *negative = "[\"x\", [], -1]";
    CHECK_STATUS(fqb_prepared_bind_values(p, negative, strlen(negative), &c, &err), FQB_INVALID_VALUE,
                 err);
    CHECK_STR(fqb_error_path(err), "limit");
    fqb_error_free(&err);
    const char *short_ = "[\"x\", []]";
    CHECK_STATUS(fqb_prepared_bind_values(p, short_, strlen(short_), &c, &err), FQB_INVALID_QUERY, err);
    CHECK_STR(fqb_error_path(err), "");
    fqb_error_free(&err);
    const char *object = "{\"email\": \"x\"}";
    CHECK_STATUS(fqb_prepared_bind_values(p, object, strlen(object), &c, NULL), FQB_INVALID_QUERY,
                 NULL);
    const char *broken = "[\"x\", [], 3";
    CHECK_STATUS(fqb_prepared_bind_values(p, broken, strlen(broken), &c, NULL), FQB_INVALID_JSON,
                 NULL);
    CHECK_STATUS(fqb_prepared_bind_values(NULL, values, strlen(values), &c, NULL),
                 FQB_NULL_PARAMETER, NULL);
    CHECK_STATUS(fqb_prepared_bind_values(p, NULL, 0, &c, NULL), FQB_NULL_PARAMETER, NULL);
    CHECK(c == UNTOUCHED);
    fqb_prepared_free(&p);
}

static void test_options(void) {
    fqb_options *o = fqb_options_new();
    CHECK(o != NULL);
    CHECK_STATUS(fqb_options_set_placeholder(o, 7), FQB_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(fqb_options_set_placeholder(NULL, 0), FQB_NULL_PARAMETER, NULL);
    CHECK_STATUS(fqb_options_set_placeholder(o, FQB_PLACEHOLDER_FORMAT), FQB_OK, NULL);
    fqb_compiled *c = NULL;
    CHECK_STATUS(compile(Q_GOOD, strlen(Q_GOOD), o, &c, NULL), FQB_OK, NULL);
    CHECK(strstr(fqb_compiled_sql(c), "ILIKE %s::text") != NULL);
    CHECK(strchr(fqb_compiled_sql(c), '$') == NULL);
    fqb_compiled_free(&c);
    /* camelCase off: `nickName` is then a key of its own, unknown to the view. */
    const char *q = "{\"view\": \"v_user\", \"select\": [\"nickName\"]}";
    CHECK_STATUS(compile(q, strlen(q), o, &c, NULL), FQB_OK, NULL);
    fqb_compiled_free(&c);
    CHECK_STATUS(fqb_options_set_camel_case(o, false), FQB_OK, NULL);
    CHECK_STATUS(compile(q, strlen(q), o, &c, NULL), FQB_UNKNOWN_FIELD, NULL);
    fqb_options_free(&o);
    CHECK(o == NULL);
    fqb_options_free(&o);
}

/* Keyset pagination: the cursor of a row from its `__cursor` column, signed with the
 * options' key, accepted by a compile with the same key and refused otherwise. */
static void test_cursor(void) {
    const char *q = "{\"view\": \"v_user\", \"select\": [\"id\"], "
                    "\"order_by\": [{\"field\": \"age\"}], \"first\": 2}";
    fqb_compiled *c = NULL;
    CHECK_STATUS(compile(q, strlen(q), NULL, &c, NULL), FQB_OK, NULL);
    const char *fp = strstr(fqb_compiled_sql(c), "jsonb_build_array('");
    CHECK(fp != NULL && strstr(fqb_compiled_sql(c), "AS \"__cursor\"") != NULL);
    char row[128];
    snprintf(row, sizeof row, "[\"%.16s\", \"30\", \"11111111-0000-0000-0000-000000000001\"]",
             fp + strlen("jsonb_build_array('"));
    fqb_compiled_free(&c);

    fqb_options *o = fqb_options_new();
    CHECK_STATUS(fqb_options_set_cursor_key(o, "secret", 6), FQB_OK, NULL);
    CHECK_STATUS(fqb_options_set_cursor_key(NULL, "secret", 6), FQB_NULL_PARAMETER, NULL);
    CHECK_STATUS(fqb_options_set_cursor_key(o, NULL, 3), FQB_NULL_PARAMETER, NULL);
    fqb_buffer *cursor = NULL;
    CHECK_STATUS(fqb_encode_cursor(row, strlen(row), o, &cursor, NULL), FQB_OK, NULL);
    char paged[512];
    snprintf(paged, sizeof paged, "{\"view\": \"v_user\", \"select\": [\"id\"], "
             "\"order_by\": [{\"field\": \"age\"}], \"first\": 2, \"after\": \"%s\"}",
             fqb_buffer_data(cursor));
    CHECK_STATUS(compile(paged, strlen(paged), o, &c, NULL), FQB_OK, NULL);
    CHECK(fqb_compiled_param_count(c) == 3);
    fqb_compiled_free(&c);
    /* No key, or another one: the signed cursor is refused. */
    fqb_error *err = NULL;
    CHECK(compile(paged, strlen(paged), NULL, &c, &err) == FQB_INVALID_CURSOR);
    CHECK(strcmp(fqb_error_path(err), "after") == 0);
    fqb_error_free(&err);
    CHECK_STATUS(fqb_options_set_cursor_key(o, "other", 5), FQB_OK, NULL);
    CHECK(compile(paged, strlen(paged), o, &c, NULL) == FQB_INVALID_CURSOR);
    fqb_buffer_free(&cursor);
    /* Unsigned, used with another ordering. */
    CHECK_STATUS(fqb_options_set_cursor_key(o, NULL, 0), FQB_OK, NULL);
    CHECK_STATUS(fqb_encode_cursor(row, strlen(row), o, &cursor, NULL), FQB_OK, NULL);
    snprintf(paged, sizeof paged, "{\"view\": \"v_user\", \"select\": [\"id\"], "
             "\"order_by\": [{\"field\": \"name\"}], \"first\": 2, \"after\": \"%s\"}",
             fqb_buffer_data(cursor));
    CHECK(compile(paged, strlen(paged), o, &c, NULL) == FQB_CURSOR_MISMATCH);
    fqb_buffer_free(&cursor);
    CHECK(fqb_encode_cursor("[1]", 3, NULL, &cursor, NULL) == FQB_INVALID_CURSOR);
    CHECK(cursor == NULL);
    fqb_options_free(&o);
}

static void test_schema_errors(void) {
    fqb_schema *s = UNTOUCHED;
    fqb_error *err = NULL;
    const char *bad = "{\"views\": {\"v_x\": {\"columns\": {\"id\": \"no_such_type\"}}}}";
    fqb_result st = fqb_schema_new(bad, strlen(bad), &s, &err);
    CHECK_MSG(st == FQB_INVALID_SCHEMA, "%s", fqb_error_text(err));
    CHECK(s == UNTOUCHED);
    CHECK(strncmp(fqb_error_path(err), "views.v_x", 9) == 0);
    fqb_error_free(&err);
    /* A schema reference outlives the caller's handle inside a shim. */
    fqb_schema *mine = NULL;
    CHECK_STATUS(fqb_schema_new(schema_text, schema_len, &mine, NULL), FQB_OK, NULL);
    fqb_shim_builder *b = NULL;
    CHECK_STATUS(fqb_shim_builder_new(mine, &b), FQB_OK, NULL);
    fqb_schema_free(&mine);
    CHECK(mine == NULL);
    fqb_schema_free(&mine);
    fqb_shim *shim = NULL;
    CHECK_STATUS(fqb_shim_builder_set_env(b, NULL, 0), FQB_OK, NULL);
    CHECK_STATUS(fqb_shim_builder_set_use_native(b, true), FQB_OK, NULL);
    CHECK_STATUS(fqb_shim_builder_build(b, &shim, NULL), FQB_OK, NULL);
    fqb_shim_builder_free(&b);
    fqb_compiled *c = NULL;
    CHECK_STATUS(fqb_shim_build(shim, Q_GOOD, strlen(Q_GOOD), NULL, 0, &c, NULL), FQB_OK, NULL);
    CHECK(fqb_compiled_param_count(c) == 3);
    fqb_compiled_free(&c);
    fqb_shim_free(&shim);
    CHECK(shim == NULL);
    fqb_shim_free(&shim);
}

#define THREADS 8
#define PER_THREAD 200

static void *compile_many(void *arg) {
    long failures = 0;
    (void)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        fqb_compiled *c = NULL;
        if (compile(Q_GOOD, strlen(Q_GOOD), NULL, &c, NULL) != FQB_OK ||
            fqb_compiled_param_count(c) != 3 ||
            strcmp(fqb_compiled_param_values(c)[0], "%@example.com%") != 0)
            failures++;
        fqb_compiled_free(&c);
    }
    return (void *)failures;
}

static void test_threads(void) {
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, compile_many, NULL);
    long failures = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        failures += (long)r;
    }
    CHECK_MSG(failures == 0, "%ld compiles failed across threads", failures);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s SCHEMA_JSON_FILE\n", argv[0]);
        return 2;
    }
    char *text = read_file(argv[1], &schema_len);
    if (!text) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    schema_text = text;
    fqb_error *err = NULL;
    CHECK_STATUS(fqb_schema_new(schema_text, schema_len, &schema, &err), FQB_OK, err);
    fqb_error_free(&err);
    test_version();
    test_status_codes();
    test_compile_and_accessors();
    test_errors();
    test_aggregates_and_distinct();
    test_null_and_utf8();
    test_truncated();
    test_huge_and_deep();
    test_options();
    test_cursor();
    test_cache();
    test_prepared();
    test_prepared_bind_values();
    test_schema_errors();
    test_threads();
    fqb_schema_free(&schema);
    free(text);
    return test_report("test_api");
}
