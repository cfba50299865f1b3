/*
 * fqb_graphql_compile: a nested GraphQL request compiled into one statement per root field,
 * each read like fqb_compile's output and run by libpq (its rows equal those of the same
 * request as a query AST); connections (a root page walk with first/after and last/before,
 * signed cursors, nested connections) assembled from libpq's cells and compared, through
 * PostgreSQL's jsonb, with the rows plain SQL reads; refused requests and rows as a status
 * plus the spec's errors JSON with the field's path;
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

/* Runs field `i`'s statement with libpq and hands its cells to
 * fqb_graphql_request_field_assemble: the field's response value as JSON text (heap), or
 * NULL after a reported failure. The columns must be the ones the request names. */
static char *field_value(const fqb_graphql_request *req, size_t i) {
    const fqb_compiled *c = fqb_graphql_request_field_compiled(req, i);
    if (!c) {
        test_fail(__FILE__, __LINE__, "field %zu has no statement", i);
        return NULL;
    }
    PGresult *res = PQexecParams(conn, fqb_compiled_sql(c), fqb_compiled_param_count(c),
                                 fqb_compiled_param_types(c), fqb_compiled_param_values(c),
                                 NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        test_fail(__FILE__, __LINE__, "PostgreSQL rejected the statement: %s",
                  PQerrorMessage(conn));
        PQclear(res);
        return NULL;
    }
    size_t width = fqb_graphql_request_field_column_count(req, i);
    CHECK_MSG((size_t)PQnfields(res) == width, "%d columns, the request names %zu",
              PQnfields(res), width);
    for (size_t col = 0; col < width && col < (size_t)PQnfields(res); col++)
        CHECK_STR(PQfname(res, (int)col), fqb_graphql_request_field_column(req, i, col).ptr);
    size_t rows = (size_t)PQntuples(res);
    fqb_str *cells = calloc(rows * width + 1, sizeof *cells);
    for (size_t r = 0; r < rows; r++)
        for (size_t col = 0; col < width; col++)
            if (!PQgetisnull(res, (int)r, (int)col)) {
                cells[r * width + col].ptr = PQgetvalue(res, (int)r, (int)col);
                cells[r * width + col].len = (size_t)PQgetlength(res, (int)r, (int)col);
            }
    fqb_buffer *buf = NULL;
    fqb_error *err = NULL;
    char *out = NULL;
    CHECK_STATUS(fqb_graphql_request_field_assemble(req, i, cells, rows, &buf, &err), FQB_OK,
                 err);
    if (buf) out = strdup(fqb_buffer_data(buf));
    fqb_buffer_free(&buf);
    fqb_error_free(&err);
    free(cells);
    PQclear(res);
    return out;
}

/* PostgreSQL as the JSON reader: `expr` over `j`, the jsonb of `json` (heap text; "" for
 * SQL NULL; NULL on a server error). */
static char *jq(const char *json, const char *expr) {
    char sql[2048];
    snprintf(sql, sizeof sql, "SELECT (%s)::text FROM (SELECT $1::jsonb AS j) AS s", expr);
    const char *values[1] = {json};
    PGresult *res = PQexecParams(conn, sql, 1, NULL, values, NULL, NULL, 0);
    char *out = NULL;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        out = strdup(PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0));
    } else {
        test_fail(__FILE__, __LINE__, "jq(%s): %s", expr, PQerrorMessage(conn));
    }
    PQclear(res);
    return out;
}

/* The first value of a plain SQL query (heap text; NULL on a server error). */
static char *sql1(const char *sql) {
    PGresult *res = PQexec(conn, sql);
    char *out = NULL;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        out = strdup(PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0));
    } else {
        test_fail(__FILE__, __LINE__, "%s: %s", sql, PQerrorMessage(conn));
    }
    PQclear(res);
    return out;
}

#define PAGE_DOC                                                                            \
    "query($first: Int, $after: String, $last: Int, $before: String) {\n"                    \
    "  page: userConnection(orderBy: {age: DESC}, first: $first, after: $after,"           \
    " last: $last, before: $before) {\n"                                                     \
    "    __typename totalCount\n"                                                           \
    "    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }\n"                  \
    "    edges { cursor node { id name } }\n"                                               \
    "  }\n"                                                                                 \
    "}\n"

/* The users in the connection's order, by plain SQL (the core's keyset order). */
#define USERS_IN_ORDER                                                                      \
    "SELECT string_agg(id::text, ',' ORDER BY (data->>'age')::numeric DESC NULLS FIRST, id)" \
    " FROM v_user"

/* One page: its node ids appended to (forward) or put before (backward) `ids`; returns the
 * cursor to go on from ("" at the end; heap). */
static char *page(fqb_options *opts, int forward, const char *cursor, char *ids, size_t cap,
                  int *pages) {
    char vars[512];
    if (cursor && *cursor)
        snprintf(vars, sizeof vars, "{\"%s\": 3, \"%s\": \"%s\"}", forward ? "first" : "last",
                 forward ? "after" : "before", cursor);
    else
        snprintf(vars, sizeof vars, "{\"%s\": 3}", forward ? "first" : "last");
    fqb_graphql_request *req = NULL;
    fqb_error *err = NULL;
    CHECK_STATUS(fqb_graphql_compile(schema, PAGE_DOC, strlen(PAGE_DOC), vars, strlen(vars),
                                     NULL, 0, opts, &req, &err),
                 FQB_OK, err);
    fqb_error_free(&err);
    if (!req) return strdup("");
    CHECK(fqb_graphql_request_field_connection(req, 0));
    CHECK(!fqb_graphql_request_field_nested(req, 0));
    CHECK(fqb_graphql_request_field_column_count(req, 0) == 5);
    CHECK_STR(fqb_graphql_request_field_column(req, 0, 1).ptr, "__cursor");
    CHECK_STR(fqb_graphql_request_field_column(req, 0, 4).ptr, "__total_count");
    CHECK(fqb_graphql_request_field_column(req, 0, 5).ptr == NULL);
    char *value = field_value(req, 0);
    fqb_graphql_request_free(&req);
    if (!value) return strdup("");
    (*pages)++;
    char *got = jq(value, "SELECT string_agg(e#>>'{node,id}', ',' ORDER BY o) FROM "
                          "jsonb_array_elements(j->'edges') WITH ORDINALITY AS x(e, o)");
    char *type = jq(value, "j->>'__typename'");
    char *total = jq(value, "j->'totalCount'");
    char *more = jq(value, forward ? "j#>'{pageInfo,hasNextPage}'"
                                   : "j#>'{pageInfo,hasPreviousPage}'");
    char *end = jq(value, forward ? "j#>>'{pageInfo,endCursor}'"
                                  : "j#>>'{pageInfo,startCursor}'");
    char *edge_end = jq(value, forward ? "j#>>'{edges,-1,cursor}'" : "j#>>'{edges,0,cursor}'");
    CHECK_STR(type, "UserConnection");
    CHECK_STR(total, "16");
    CHECK_STR(end, edge_end);
    CHECK_MSG(end[0] != '[', "a raw cursor reached the response: %s", end);
    char tmp[4096];
    if (forward)
        snprintf(tmp, sizeof tmp, "%s%s%s", ids, *ids ? "," : "", got);
    else
        snprintf(tmp, sizeof tmp, "%s%s%s", got, *ids ? "," : "", ids);
    snprintf(ids, cap, "%s", tmp);
    char *next = strcmp(more, "true") == 0 ? strdup(end) : strdup("");
    free(got);
    free(type);
    free(total);
    free(more);
    free(end);
    free(edge_end);
    free(value);
    return next;
}

static void test_connection_walks(void) {
    fqb_options *opts = fqb_options_new();
    const char *key = "0123456789abcdef0123456789abcdef";
    CHECK_STATUS(fqb_options_set_cursor_key(opts, key, strlen(key)), FQB_OK, NULL);
    char *want = sql1(USERS_IN_ORDER);
    for (int forward = 1; forward >= 0; forward--) {
        char ids[4096] = "";
        int pages = 0;
        char *cursor = page(opts, forward, NULL, ids, sizeof ids, &pages);
        while (*cursor && pages < 20) {
            char *next = page(opts, forward, cursor, ids, sizeof ids, &pages);
            free(cursor);
            cursor = next;
        }
        free(cursor);
        CHECK_MSG(pages == 6, "%s: %d pages of 3 for 16 users", forward ? "first/after" : "last/before",
                  pages);
        if (want) CHECK_STR(ids, want);
    }
    free(want);

    /* An unsigned cursor where the key signs them: QB_INVALID_CURSOR at the field's path. */
    fqb_graphql_request *req = UNTOUCHED_REQ;
    fqb_error *err = NULL;
    char scratch[4096] = "";
    int n = 0;
    char *unsigned_cursor = page(NULL, 1, NULL, scratch, sizeof scratch, &n);
    CHECK(*unsigned_cursor);
    char vars[512];
    snprintf(vars, sizeof vars, "{\"first\": 2, \"after\": \"%s\"}", unsigned_cursor);
    free(unsigned_cursor);
    CHECK_STATUS(fqb_graphql_compile(schema, PAGE_DOC, strlen(PAGE_DOC), vars, strlen(vars),
                                     NULL, 0, opts, &req, &err),
                 FQB_INVALID_CURSOR, err);
    CHECK(req == UNTOUCHED_REQ);
    CHECK_MSG(strstr(fqb_error_graphql_errors(err), "\"path\":[\"page\"]") != NULL, "%s",
              fqb_error_graphql_errors(err));
    CHECK_MSG(strstr(fqb_error_graphql_errors(err), "QB_INVALID_CURSOR") != NULL, "%s",
              fqb_error_graphql_errors(err));
    fqb_error_free(&err);
    fqb_options_free(&opts);

    /* An empty page: no edges, null cursors, the total; a page without page info or total
     * carries two columns. */
    const char *empty = "{ page: userConnection(where: {age: {gt: 1000}}, first: 2) { totalCount "
                        "pageInfo { hasNextPage startCursor } edges { cursor } } "
                        "slim: userConnection(first: 2) { nodes { id } } }";
    CHECK_STATUS(gql(empty, NULL, NULL, &req, &err), FQB_OK, err);
    if (req != UNTOUCHED_REQ && req) {
        char *v = field_value(req, 0);
        if (v) {
            char *same = jq(v, "j = '{\"totalCount\": 0, \"pageInfo\": {\"hasNextPage\": false, "
                               "\"startCursor\": null}, \"edges\": []}'::jsonb");
            CHECK_MSG(same && strcmp(same, "true") == 0, "empty page: %s", v);
            free(same);
        }
        free(v);
        CHECK(fqb_graphql_request_field_column_count(req, 1) == 2);
        v = field_value(req, 1);
        char *want2 = sql1("SELECT jsonb_build_object('nodes', jsonb_agg(jsonb_build_object("
                           "'id', id) ORDER BY id))::text FROM (SELECT id FROM v_user ORDER BY "
                           "id LIMIT 2) AS u");
        if (v && want2) {
            char *norm = jq(v, "j");
            CHECK_STR(norm, want2);
            free(norm);
        }
        free(v);
        free(want2);
        fqb_graphql_request_free(&req);
    }
}

static void test_nested_connections(void) {
    const char *doc = "{ postList(orderBy: {id: ASC}) { id commentsConnection(orderBy: {likes: "
                      "DESC}, first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { "
                      "cursor node { id likes } } } } }";
    fqb_graphql_request *req = NULL;
    fqb_error *err = NULL;
    CHECK_STATUS(gql(doc, NULL, NULL, &req, &err), FQB_OK, err);
    if (!req) return;
    CHECK(!fqb_graphql_request_field_connection(req, 0));
    CHECK(fqb_graphql_request_field_nested(req, 0));
    CHECK(fqb_graphql_request_field_column_count(req, 0) == 1);
    CHECK_STR(fqb_graphql_request_field_column(req, 0, 0).ptr, "data");
    char *v = field_value(req, 0);
    char *raw = rows(fqb_graphql_request_field_compiled(req, 0));
    fqb_graphql_request_free(&req);
    if (!v || !raw) {
        free(v);
        free(raw);
        return;
    }
    /* Each post's comments, total and next-page flag, read from the response and by SQL. */
    char *got = jq(v, "SELECT string_agg((p->>'id') || '=' || (p#>>'{commentsConnection,"
                      "totalCount}') || ':' || coalesce((SELECT string_agg(e#>>'{node,id}', ','"
                      " ORDER BY o) FROM jsonb_array_elements(p#>'{commentsConnection,edges}') "
                      "WITH ORDINALITY AS x(e, o)), '') || ':' || (p#>>'{commentsConnection,"
                      "pageInfo,hasNextPage}'), ';' ORDER BY n) FROM jsonb_array_elements(j) "
                      "WITH ORDINALITY AS y(p, n)");
    char *want = sql1("SELECT string_agg(p.id::text || '=' || (SELECT count(*) FROM v_comment c "
                      "WHERE c.fk_post = p.id) || ':' || coalesce((SELECT string_agg(c.id::text, "
                      "',' ORDER BY (c.data->>'likes')::numeric DESC NULLS FIRST, c.id) FROM ("
                      "SELECT * FROM v_comment c WHERE c.fk_post = p.id ORDER BY (c.data->>'likes')"
                      "::numeric DESC NULLS FIRST, c.id LIMIT 2) AS c), '') || ':' || ((SELECT "
                      "count(*) FROM v_comment c WHERE c.fk_post = p.id) > 2)::text, ';' ORDER BY "
                      "p.id) FROM v_post p");
    if (got && want) CHECK_STR(got, want);
    /* Cursors are encoded (the statement's rows carry raw ones), endCursor the last edge's. */
    char *cursors = jq(v, "SELECT bool_and(p#>>'{commentsConnection,pageInfo,endCursor}' IS NOT "
                          "DISTINCT FROM p#>>'{commentsConnection,edges,-1,cursor}') AND "
                          "bool_and(coalesce(left(p#>>'{commentsConnection,edges,0,cursor}', 1),"
                          " '') <> '[') FROM jsonb_array_elements(j) AS y(p)");
    char *raw_cursor = jq(raw, "left(j#>>'{0,commentsConnection,edges,0,cursor}', 1)");
    if (cursors) CHECK_STR(cursors, "true");
    if (raw_cursor) CHECK_STR(raw_cursor, "[");
    free(cursors);
    free(raw_cursor);
    free(got);
    free(want);
    free(v);
    free(raw);
}

/* A nested connection in a root connection's node: fqb_graphql_request_field_assemble
 * shapes each node's nested connection (the core's Connection::assemble finishing the
 * nodes) as it shapes a list field's rows: the connection's nodes equal the list's rows. */
static void test_nested_in_root_connection(void) {
    const char *nested = "commentsConnection(orderBy: {likes: DESC}, first: 2) { totalCount "
                         "pageInfo { hasNextPage endCursor } edges { cursor node { id likes } } }";
    char conn_doc[512], list_doc[512];
    snprintf(conn_doc, sizeof conn_doc,
             "{ page: postConnection(orderBy: {id: ASC}, first: 50) { edges { cursor node { id "
             "%s } } } }", nested);
    snprintf(list_doc, sizeof list_doc, "{ postList(orderBy: {id: ASC}) { id %s } }", nested);
    fqb_graphql_request *req = NULL, *list = NULL;
    fqb_error *err = NULL;
    CHECK_STATUS(gql(conn_doc, NULL, NULL, &req, &err), FQB_OK, err);
    CHECK_STATUS(gql(list_doc, NULL, NULL, &list, &err), FQB_OK, err);
    if (!req || !list) {
        fqb_graphql_request_free(&req);
        fqb_graphql_request_free(&list);
        return;
    }
    CHECK(fqb_graphql_request_field_connection(req, 0));
    CHECK(fqb_graphql_request_field_count(req) == 1);
    char *v = field_value(req, 0);
    char *lv = field_value(list, 0);
    fqb_graphql_request_free(&req);
    fqb_graphql_request_free(&list);
    if (v && lv) {
        char *nodes = jq(v, "jsonb_path_query_array(j, '$.edges[*].node')");
        char *want = jq(lv, "j");
        char *count = jq(lv, "jsonb_array_length(j)");
        char *encoded = jq(v, "SELECT bool_and(left(c #>> '{}', 1) <> '[') FROM jsonb_path_query(j, "
                              "'$.edges[*].node.commentsConnection.edges[*].cursor') AS c");
        if (nodes && want) CHECK_STR(nodes, want);
        if (count) CHECK_STR(count, "10");
        if (encoded) CHECK_STR(encoded, "true");
        free(nodes);
        free(want);
        free(count);
        free(encoded);
    }
    free(v);
    free(lv);
}

/* One post's comments walked page by page through the nested connection's signed
 * endCursor: every comment once, in the order plain SQL reads. */
static void test_nested_walk(void) {
    const char *doc = "query($after: String) { postList(where: {id: {eq: "
                      "\"22222222-0000-0000-0000-000000000001\"}}) { commentsConnection(orderBy: "
                      "{likes: DESC}, first: 1, after: $after) { pageInfo { hasNextPage endCursor }"
                      " edges { node { id } } } } }";
    fqb_options *opts = fqb_options_new();
    const char *key = "fedcba9876543210fedcba9876543210";
    CHECK_STATUS(fqb_options_set_cursor_key(opts, key, strlen(key)), FQB_OK, NULL);
    char ids[2048] = "", cursor[512] = "";
    int pages = 0, more = 1;
    while (more && pages < 10) {
        char vars[700];
        if (*cursor)
            snprintf(vars, sizeof vars, "{\"after\": \"%s\"}", cursor);
        else
            snprintf(vars, sizeof vars, "{}");
        fqb_graphql_request *req = NULL;
        fqb_error *err = NULL;
        CHECK_STATUS(fqb_graphql_compile(schema, doc, strlen(doc), vars, strlen(vars), NULL, 0,
                                         opts, &req, &err),
                     FQB_OK, err);
        fqb_error_free(&err);
        char *v = req ? field_value(req, 0) : NULL;
        fqb_graphql_request_free(&req);
        if (!v) break;
        pages++;
        char *id = jq(v, "j#>>'{0,commentsConnection,edges,0,node,id}'");
        char *next = jq(v, "j#>>'{0,commentsConnection,pageInfo,hasNextPage}'");
        char *end = jq(v, "j#>>'{0,commentsConnection,pageInfo,endCursor}'");
        if (id && next && end) {
            size_t len = strlen(ids);
            snprintf(ids + len, sizeof ids - len, "%s%s", len ? "," : "", id);
            more = strcmp(next, "true") == 0;
            snprintf(cursor, sizeof cursor, "%s", end);
        } else {
            more = 0;
        }
        free(id);
        free(next);
        free(end);
        free(v);
    }
    char *want = sql1("SELECT string_agg(id::text, ',' ORDER BY (data->>'likes')::numeric DESC "
                      "NULLS FIRST, id) FROM v_comment WHERE fk_post = "
                      "'22222222-0000-0000-0000-000000000001'");
    CHECK_MSG(pages == 4, "%d pages of 1 for 4 comments", pages);
    if (want) CHECK_STR(ids, want);
    free(want);

    /* An unsigned nested cursor where the key signs them: QB_INVALID_CURSOR at the nested
     * field's response path. */
    fqb_graphql_request *req = NULL;
    fqb_error *err = NULL;
    CHECK_STATUS(fqb_graphql_compile(schema, doc, strlen(doc), "{}", 2, NULL, 0, NULL, &req, &err),
                 FQB_OK, err);
    char *v = req ? field_value(req, 0) : NULL;
    fqb_graphql_request_free(&req);
    char *end = v ? jq(v, "j#>>'{0,commentsConnection,pageInfo,endCursor}'") : NULL;
    if (end) {
        char vars[700];
        snprintf(vars, sizeof vars, "{\"after\": \"%s\"}", end);
        req = UNTOUCHED_REQ;
        CHECK_STATUS(fqb_graphql_compile(schema, doc, strlen(doc), vars, strlen(vars), NULL, 0,
                                         opts, &req, &err),
                     FQB_INVALID_CURSOR, err);
        CHECK(req == UNTOUCHED_REQ);
        CHECK_MSG(strstr(fqb_error_graphql_errors(err),
                         "\"path\":[\"postList\",\"commentsConnection\"]") != NULL,
                  "%s", fqb_error_graphql_errors(err));
        fqb_error_free(&err);
    }
    free(end);
    free(v);
    fqb_options_free(&opts);
}

/* Rows that are not the statement's, and bad arguments: coded errors with the field's path. */
static void test_assemble_errors(void) {
    fqb_graphql_request *req = NULL;
    fqb_error *err = NULL;
    const char *doc = "{ __typename page: userConnection(first: 2) { totalCount pageInfo { "
                      "hasNextPage } edges { cursor node { id } } } list: userList(limit: 1) { id }"
                      " one: user(id: \"11111111-0000-0000-0000-000000000001\") { id } }";
    CHECK_STATUS(gql(doc, NULL, NULL, &req, &err), FQB_OK, err);
    if (!req) return;
    fqb_buffer *buf = NULL;
    fqb_str good[5] = {{"{\"id\": 1}", 9}, {"garbage", 7}, {"t", 1}, {"f", 1}, {"7", 1}};
    CHECK_STATUS(fqb_graphql_request_field_assemble(req, 1, good, 1, &buf, &err), FQB_INVALID_CURSOR,
                 err);
    CHECK(buf == NULL);
    CHECK_MSG(strstr(fqb_error_graphql_errors(err), "\"path\":[\"page\"]") != NULL, "%s",
              fqb_error_graphql_errors(err));
    fqb_error_free(&err);
    /* A real cursor, then cells that are not what the columns hold. */
    const char *cursor_text = NULL;
    {
        PGresult *res = NULL;
        const fqb_compiled *cc = fqb_graphql_request_field_compiled(req, 1);
        res = PQexecParams(conn, fqb_compiled_sql(cc), fqb_compiled_param_count(cc),
                           fqb_compiled_param_types(cc), fqb_compiled_param_values(cc), NULL,
                           NULL, 0);
        if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0) {
            cursor_text = strdup(PQgetvalue(res, 0, 1));
        }
        PQclear(res);
    }
    if (cursor_text) {
        fqb_str bad_flag[5] = {{"{}", 2}, {cursor_text, strlen(cursor_text)}, {"yes", 3},
                               {"f", 1}, {"7", 1}};
        CHECK_STATUS(fqb_graphql_request_field_assemble(req, 1, bad_flag, 1, &buf, &err),
                     FQB_INVALID_VALUE, err);
        CHECK_MSG(strstr(fqb_error_graphql_errors(err), "\"path\":[\"page\"]") != NULL, "%s",
                  fqb_error_graphql_errors(err));
        fqb_error_free(&err);
        fqb_str bad_count[5] = {{"{}", 2}, {cursor_text, strlen(cursor_text)}, {"t", 1},
                                {"f", 1}, {"seven", 5}};
        CHECK_STATUS(fqb_graphql_request_field_assemble(req, 1, bad_count, 1, &buf, &err),
                     FQB_INVALID_VALUE, err);
        fqb_error_free(&err);
        fqb_str no_data[5] = {{NULL, 0}, {cursor_text, strlen(cursor_text)}, {"t", 1},
                              {"f", 1}, {"7", 1}};
        CHECK_STATUS(fqb_graphql_request_field_assemble(req, 1, no_data, 1, &buf, &err),
                     FQB_INTERNAL, err);
        fqb_error_free(&err);
        fqb_str ok[5] = {{"{\"id\": 1.50}", 12}, {cursor_text, strlen(cursor_text)}, {"t", 1},
                         {"f", 1}, {"7", 1}};
        CHECK_STATUS(fqb_graphql_request_field_assemble(req, 1, ok, 1, &buf, &err), FQB_OK, err);
        CHECK_MSG(buf && strstr(fqb_buffer_data(buf), "\"node\":{\"id\":1.50}") != NULL, "%s",
                  fqb_buffer_data(buf));
        CHECK_MSG(buf && strstr(fqb_buffer_data(buf), "{\"totalCount\":7,\"pageInfo\":"
                                                      "{\"hasNextPage\":true}") == fqb_buffer_data(buf),
                  "%s", fqb_buffer_data(buf));
        fqb_buffer_free(&buf);
        free((void *)cursor_text);
    }
    /* data that is not JSON; a list, a single object, the constant. */
    fqb_str not_json[1] = {{"{", 1}};
    CHECK_STATUS(fqb_graphql_request_field_assemble(req, 2, not_json, 1, &buf, &err),
                 FQB_INVALID_JSON, err);
    CHECK_MSG(strstr(fqb_error_graphql_errors(err), "\"path\":[\"list\"]") != NULL, "%s",
              fqb_error_graphql_errors(err));
    fqb_error_free(&err);
    fqb_str two[2] = {{"{\"id\": 1}", 9}, {NULL, 0}};
    CHECK_STATUS(fqb_graphql_request_field_assemble(req, 2, two, 2, &buf, &err), FQB_OK, err);
    CHECK_STR(fqb_buffer_data(buf), "[{\"id\":1},null]");
    fqb_buffer_free(&buf);
    CHECK_STATUS(fqb_graphql_request_field_assemble(req, 3, two, 2, &buf, &err), FQB_OK, err);
    CHECK_STR(fqb_buffer_data(buf), "{\"id\":1}");
    fqb_buffer_free(&buf);
    CHECK_STATUS(fqb_graphql_request_field_assemble(req, 3, NULL, 0, &buf, &err), FQB_OK, err);
    CHECK_STR(fqb_buffer_data(buf), "null");
    fqb_buffer_free(&buf);
    CHECK_STATUS(fqb_graphql_request_field_assemble(req, 0, NULL, 0, &buf, &err), FQB_OK, err);
    CHECK_STR(fqb_buffer_data(buf), "\"Query\"");
    fqb_buffer_free(&buf);
    CHECK(fqb_graphql_request_field_column_count(req, 0) == 0);
    /* Invalid UTF-8 in a cell; NULLs; an index out of range. */
    fqb_str bad_utf8[1] = {{"\"\xff\"", 3}};
    CHECK_STATUS(fqb_graphql_request_field_assemble(req, 2, bad_utf8, 1, &buf, &err),
                 FQB_INVALID_UTF8, err);
    fqb_error_free(&err);
    CHECK_STATUS(fqb_graphql_request_field_assemble(req, 2, NULL, 1, &buf, &err),
                 FQB_NULL_PARAMETER, err);
    fqb_error_free(&err);
    CHECK_STATUS(fqb_graphql_request_field_assemble(req, 2, two, 1, NULL, &err),
                 FQB_NULL_PARAMETER, err);
    fqb_error_free(&err);
    CHECK_STATUS(fqb_graphql_request_field_assemble(NULL, 2, two, 1, &buf, &err),
                 FQB_NULL_PARAMETER, err);
    fqb_error_free(&err);
    CHECK_STATUS(fqb_graphql_request_field_assemble(req, 9, two, 1, &buf, &err),
                 FQB_INVALID_ARGUMENT, err);
    fqb_error_free(&err);
    CHECK(buf == NULL);
    CHECK(!fqb_graphql_request_field_connection(NULL, 0));
    CHECK(!fqb_graphql_request_field_nested(req, 9));
    CHECK(fqb_graphql_request_field_column_count(NULL, 0) == 0);
    CHECK(fqb_graphql_request_field_column(req, 9, 0).ptr == NULL);
    fqb_graphql_request_free(&req);
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

/* __typename in nested objects and list elements: the core writes the SDL's type names
 * (`UserProfile`, `OrderShippingParcels`); the binding only converts. */
static void test_nested_typenames(void) {
    fqb_graphql_request *req = NULL;
    fqb_error *err = NULL;
    const char *doc =
        "{ userList(where: {id: {eq: \"11111111-0000-0000-0000-000000000005\"}}) {"
        "    __typename profile { __typename city ...A } }"
        "  orderList(where: {id: {eq: \"55555555-0000-0000-0000-000000000001\"}}) {"
        "    shipping { kind: __typename parcels { __typename code } } } }"
        "fragment A on UserProfile { address { __typename street } }";
    CHECK_STATUS(gql(doc, NULL, NULL, &req, &err), FQB_OK, err);
    if (!req) return;
    const fqb_compiled *users = fqb_graphql_request_field_compiled(req, 0);
    const fqb_compiled *orders = fqb_graphql_request_field_compiled(req, 1);
    char *got = users ? rows(users) : NULL;
    CHECK(got != NULL);
    if (got)
        CHECK_STR(got, "[{\"profile\": {\"city\": \"Berlin\", \"address\": {\"street\": \"Unter den "
                   "Linden 1\", \"__typename\": \"UserProfileAddress\"}, \"__typename\": "
                   "\"UserProfile\"}, \"__typename\": \"User\"}]");
    free(got);
    got = orders ? rows(orders) : NULL;
    CHECK(got != NULL);
    if (got)
        CHECK_STR(got, "[{\"shipping\": {\"kind\": \"OrderShipping\", \"parcels\": [{\"code\": "
                   "\"P1\", \"__typename\": \"OrderShippingParcels\"}, {\"code\": \"P2\", "
                   "\"__typename\": \"OrderShippingParcels\"}]}}]");
    free(got);
    fqb_graphql_request_free(&req);
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
    /* `{"n": 2}` traces the template `{"n": 1}` left (the same fingerprint), the last
     * `{"n": 1}` binds into it; `{}` is a second fingerprint, seen once. */
    CHECK_MSG(st.bound == 1 && st.templates == 2, "bound %llu templates %zu",
              (unsigned long long)st.bound, st.templates);
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
    test_nested_typenames();
    test_refused_requests();
    test_connection_walks();
    test_nested_connections();
    test_nested_in_root_connection();
    test_nested_walk();
    test_assemble_errors();
    test_cache_counters();
    fqb_schema_free(&schema);
    PQfinish(conn);
    return test_report("test_graphql");
}
