/*
 * fqb_graphql_compile: a nested GraphQL request compiled into one statement per root field,
 * each read like fqb_compile's output and run by libpq (its rows equal those of the same
 * request as a query AST); refused requests as a status plus the spec's errors JSON;
 * NULL and invalid arguments; the document cache's counters; outputs untouched on failure.
 *
 *   test_graphql SCHEMA_JSON_FILE        (FQB_PG_URL names the database; it must be reachable)
 */
#define _POSIX_C_SOURCE 200809L
#include <libpq-fe.h>

#include "testutil.h"

static PGconn *conn;
static fqb_schema *schema;

/* A sentinel: an output that must stay untouched when a call fails. */
static int sentinel;
#define UNTOUCHED_REQ ((fqb_graphql_request *)(void *)&sentinel)

#define DOC                                                                                 \
    "query Posts($min: Int = 1, $ids: [UUID!]) {\n"                                         \
    "  __typename\n"                                                                        \
    "  posts: postList(where: {id: {in: $ids}, comments: {some: {likes: {gte: $min}}}},"   \
    " orderBy: {id: ASC}) {\n"                                                              \
    "    __typename title writer: author { ...Who }\n"                                      \
    "    comments(orderBy: {likes: DESC}, limit: 2) { likes author { ...Who } }\n"          \
    "  }\n"                                                                                 \
    "  first: post(id: \"22222222-0000-0000-0000-000000000001\") { id }\n"                  \
    "}\n"                                                                                   \
    "fragment Who on User { name }\n"

#define VARS                                                                                \
    "{\"ids\": [\"22222222-0000-0000-0000-000000000001\", "                                 \
    "\"22222222-0000-0000-0000-000000000002\"]}"

#define AST                                                                                 \
    "{\"view\": \"v_post\", \"select\": [\"__typename\", \"title\", "                       \
    "{\"field\": \"author\", \"alias\": \"writer\", \"select\": [\"name\"]}, "              \
    "{\"field\": \"comments\", \"select\": [\"likes\", {\"field\": \"author\", "            \
    "\"select\": [\"name\"]}], \"order_by\": [{\"field\": \"likes\", \"direction\": "       \
    "\"desc\"}], \"limit\": 2}], \"where\": {\"id\": {\"in\": "                             \
    "[\"22222222-0000-0000-0000-000000000001\", \"22222222-0000-0000-0000-000000000002\"]}," \
    " \"comments\": {\"some\": {\"likes\": {\"gte\": 1}}}}, \"order_by\": [{\"field\": "    \
    "\"id\", \"direction\": \"asc\"}]}"

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) n = 0;
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The `data` column of every row as one jsonb array's text (NULL on a server error). */
static char *rows(const fqb_compiled *c) {
    const char *prefix = "SELECT coalesce(jsonb_agg(q.data), '[]'::jsonb)::text FROM (";
    const char *suffix = "\n) AS q";
    size_t len = strlen(prefix) + fqb_compiled_sql_len(c) + strlen(suffix) + 1;
    char *wrapped = malloc(len);
    snprintf(wrapped, len, "%s%s%s", prefix, fqb_compiled_sql(c), suffix);
    PGresult *res = PQexecParams(conn, wrapped, fqb_compiled_param_count(c),
                                 fqb_compiled_param_types(c), fqb_compiled_param_values(c),
                                 NULL, NULL, 0);
    free(wrapped);
    char *out = NULL;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        out = strdup(PQgetvalue(res, 0, 0));
    } else {
        test_fail(__FILE__, __LINE__, "PostgreSQL rejected the statement: %s",
                  PQerrorMessage(conn));
    }
    PQclear(res);
    return out;
}

static fqb_result gql(const char *doc, const char *vars, const char *op,
                      fqb_graphql_request **out, fqb_error **err) {
    return fqb_graphql_compile(schema, doc, strlen(doc), vars, vars ? strlen(vars) : 0, op,
                               op ? strlen(op) : 0, NULL, out, err);
}

static void test_nested_request_runs(void) {
    fqb_graphql_request *req = NULL;
    fqb_error *err = NULL;
    CHECK_STATUS(gql(DOC, VARS, NULL, &req, &err), FQB_OK, err);
    if (!req) return;
    CHECK(fqb_graphql_request_field_count(req) == 3);
    CHECK_STR(fqb_graphql_request_field_key(req, 0).ptr, "__typename");
    CHECK_STR(fqb_graphql_request_field_key(req, 1).ptr, "posts");
    CHECK_STR(fqb_graphql_request_field_key(req, 2).ptr, "first");
    CHECK(fqb_graphql_request_field_key(req, 3).ptr == NULL);
    /* __typename: a value, no statement. */
    CHECK(fqb_graphql_request_field_compiled(req, 0) == NULL);
    CHECK_STR(fqb_graphql_request_field_value(req, 0).ptr, "\"Query\"");
    CHECK(fqb_graphql_request_field_value(req, 0).len == 7);
    CHECK(fqb_graphql_request_field_value(req, 1).ptr == NULL);
    CHECK(!fqb_graphql_request_field_single(req, 1));
    CHECK(fqb_graphql_request_field_single(req, 2));
    CHECK(fqb_graphql_request_field_compiled(req, 9) == NULL);

    /* The list field is the same statement as the AST, and PostgreSQL returns its rows. */
    const fqb_compiled *posts = fqb_graphql_request_field_compiled(req, 1);
    fqb_compiled *ast = NULL;
    CHECK_STATUS(fqb_compile(schema, AST, strlen(AST), NULL, &ast, &err), FQB_OK, err);
    if (posts && ast) {
        CHECK_STR(fqb_compiled_sql(posts), fqb_compiled_sql(ast));
        CHECK(fqb_compiled_param_count(posts) == fqb_compiled_param_count(ast));
        char *got = rows(posts), *want = rows(ast);
        if (got && want) {
            CHECK_STR(got, want);
            CHECK_MSG(strstr(got, "\"writer\": {\"name\"") != NULL, "nested rows: %s", got);
            CHECK_MSG(strstr(got, "\"__typename\": \"Post\"") != NULL, "rows: %s", got);
        }
        free(got);
        free(want);
    }
    fqb_compiled_free(&ast);
    const fqb_compiled *first = fqb_graphql_request_field_compiled(req, 2);
    if (first) {
        char *got = rows(first);
        if (got) CHECK_STR(got, "[{\"id\": \"22222222-0000-0000-0000-000000000001\"}]");
        free(got);
    }
    fqb_graphql_request_free(&req);
    CHECK(req == NULL);
    fqb_graphql_request_free(&req); /* a no-op */
    fqb_graphql_request_free(NULL);
}

static void test_refused_requests(void) {
    fqb_graphql_request *req = UNTOUCHED_REQ;
    fqb_error *err = NULL;
    CHECK_STATUS(gql("{ userList { id emial } }", NULL, NULL, &req, &err),
                 FQB_GRAPHQL_INVALID, err);
    CHECK(req == UNTOUCHED_REQ);
    CHECK_STR(fqb_error_code(err), "QB_GRAPHQL_INVALID");
    CHECK_STR(fqb_error_message(err), "type `User` does not have a field `emial`");
    CHECK_STR(fqb_error_graphql_errors(err),
              "[{\"message\":\"type `User` does not have a field `emial`\",\"locations\":"
              "[{\"line\":1,\"column\":17}],\"extensions\":{\"code\":\"QB_GRAPHQL_INVALID\"}}]");
    fqb_error_free(&err);

    /* An error of the core keeps its code, its AST path, and the field's response path. */
    const char *bad = "query($l: Int) { userList(where: {age: {eq: null}}, limit: $l) { id } }";
    CHECK_STATUS(gql(bad, "{\"l\": 3}", NULL, &req, &err), FQB_INVALID_VALUE, err);
    CHECK_STR(fqb_error_path(err), "where.age.eq");
    CHECK_MSG(strstr(fqb_error_graphql_errors(err), "\"path\":[\"userList\"]") != NULL, "%s",
              fqb_error_graphql_errors(err));
    fqb_error_free(&err);

    /* Connection fields (root or nested) are refused at their path, never dropped. */
    CHECK_STATUS(gql("{ page: userConnection(first: 2) { edges { node { id } } } }", NULL, NULL,
                     &req, &err),
                 FQB_UNSUPPORTED, err);
    CHECK(req == UNTOUCHED_REQ);
    CHECK_MSG(strstr(fqb_error_graphql_errors(err), "\"path\":[\"page\"]") != NULL, "%s",
              fqb_error_graphql_errors(err));
    fqb_error_free(&err);
    CHECK_STATUS(gql("{ userList(limit: 1) { id postsConnection(first: 1) { edges { node { id } } } } }",
                     NULL, NULL, &req, &err),
                 FQB_UNSUPPORTED, err);
    CHECK_MSG(strstr(fqb_error_graphql_errors(err), "\"path\":[\"userList\"]") != NULL, "%s",
              fqb_error_graphql_errors(err));
    fqb_error_free(&err);

    /* Variables: not JSON; a required one missing. Operation names. */
    CHECK_STATUS(gql("query($l: Int!) { userList(limit: $l) { id } }", "{", NULL, &req, &err),
                 FQB_INVALID_JSON, err);
    CHECK_STR(fqb_error_graphql_errors(err), "");
    fqb_error_free(&err);
    CHECK_STATUS(gql("query($l: Int!) { userList(limit: $l) { id } }", "{}", NULL, &req, &err),
                 FQB_GRAPHQL_INVALID, err);
    fqb_error_free(&err);
    const char *two = "query A { userList(limit: 1) { id } } query B { postList { id } }";
    CHECK_STATUS(gql(two, NULL, NULL, &req, &err), FQB_GRAPHQL_INVALID, err);
    fqb_error_free(&err);
    CHECK_STATUS(gql(two, NULL, "B", &req, &err), FQB_OK, err);
    CHECK_STR(fqb_graphql_request_field_key(req, 0).ptr, "postList");
    fqb_graphql_request_free(&req);

    /* NULL pointers and invalid UTF-8: statuses, never a crash. */
    req = UNTOUCHED_REQ;
    CHECK_STATUS(fqb_graphql_compile(NULL, "{a}", 3, NULL, 0, NULL, 0, NULL, &req, &err),
                 FQB_NULL_PARAMETER, err);
    fqb_error_free(&err);
    CHECK_STATUS(fqb_graphql_compile(schema, NULL, 3, NULL, 0, NULL, 0, NULL, &req, &err),
                 FQB_NULL_PARAMETER, err);
    fqb_error_free(&err);
    CHECK_STATUS(fqb_graphql_compile(schema, "{a}", 3, NULL, 0, NULL, 0, NULL, NULL, &err),
                 FQB_NULL_PARAMETER, err);
    fqb_error_free(&err);
    CHECK_STATUS(fqb_graphql_compile(schema, "{ \xff }", 4, NULL, 0, NULL, 0, NULL, &req, &err),
                 FQB_INVALID_UTF8, err);
    fqb_error_free(&err);
    CHECK_STATUS(fqb_graphql_compile(schema, "{a}", 3, NULL, 5, NULL, 0, NULL, &req, NULL),
                 FQB_NULL_PARAMETER, NULL);
    CHECK(req == UNTOUCHED_REQ);
    CHECK(fqb_graphql_request_field_count(NULL) == 0);
    CHECK(fqb_graphql_request_field_key(NULL, 0).ptr == NULL);
    CHECK(fqb_graphql_request_field_compiled(NULL, 0) == NULL);
    CHECK(!fqb_graphql_request_field_single(NULL, 0));
    CHECK_STR(fqb_error_graphql_errors(NULL), "");
}

static void test_cache_counters(void) {
    fqb_schema *s = NULL;
    fqb_error *err = NULL;
    char *text = read_file(getenv("FQB_TEST_SCHEMA"));
    CHECK_STATUS(fqb_schema_new_with_cache(text, strlen(text), 4, &s, &err), FQB_OK, err);
    free(text);
    fqb_graphql_cache_stats st;
    CHECK_STATUS(fqb_schema_graphql_cache_stats(s, &st), FQB_OK, NULL);
    CHECK(st.hits == 0 && st.misses == 0 && st.capacity == 4);
    const char *doc = "query($n: Int) { userList(limit: $n) { id } }";
    const char *vars[] = {"{\"n\": 1}", "{\"n\": 2}", "{}", "{\"n\": 1}"};
    for (int i = 0; i < 4; i++) {
        fqb_graphql_request *req = NULL;
        CHECK_STATUS(fqb_graphql_compile(s, doc, strlen(doc), vars[i], strlen(vars[i]), NULL, 0,
                                         NULL, &req, &err),
                     FQB_OK, err);
        fqb_graphql_request_free(&req);
    }
    CHECK_STATUS(fqb_schema_graphql_cache_stats(s, &st), FQB_OK, NULL);
    CHECK_MSG(st.misses == 1 && st.hits == 3 && st.len == 1,
              "misses %llu hits %llu len %zu", (unsigned long long)st.misses,
              (unsigned long long)st.hits, st.len);
    CHECK_STATUS(fqb_schema_graphql_cache_stats(NULL, &st), FQB_NULL_PARAMETER, NULL);
    CHECK_STATUS(fqb_schema_graphql_cache_stats(s, NULL), FQB_NULL_PARAMETER, NULL);
    fqb_schema_free(&s);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s SCHEMA_JSON_FILE\n", argv[0]);
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
    setenv("FQB_TEST_SCHEMA", argv[1], 1);
    char *text = read_file(argv[1]);
    if (!text) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    fqb_error *err = NULL;
    CHECK_STATUS(fqb_schema_new(text, strlen(text), &schema, &err), FQB_OK, err);
    free(text);
    if (!schema) return test_report("test_graphql");
    test_nested_request_runs();
    test_refused_requests();
    test_cache_counters();
    fqb_schema_free(&schema);
    PQfinish(conn);
    return test_report("test_graphql");
}
