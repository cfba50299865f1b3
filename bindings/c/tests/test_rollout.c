/*
 * The rollout shim through the C API.
 *
 *   test_rollout VECTOR_RECORDS SCHEMA_JSON_FILE
 *
 * 1. tests/rollout/vectors.json (as written by `fqb-c-testgen vectors`): environment
 *    parsing through fqb_shim_builder_set_env, sticky hashing, decisions, event sequences
 *    with metrics and kept mismatches, exact Prometheus text.
 * 2. The shim around a C legacy builder: routing, the output ownership rule, a failing
 *    callback and malformed output (legacy errors, counted once, metrics intact), the
 *    placeholder style check, fallback, no builder, malformed and invalid-UTF-8
 *    environment values (warnings, defaults), reload, log lines, shadow mode with and
 *    without a comparator, sticky keys, Prometheus and process-wide metrics.
 * 3. One shim called from 8 threads: exact totals.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "testutil.h"

static fqb_schema *schema;

/* A sentinel: an output that must stay untouched when a call fails. */
#define UNTOUCHED_C ((fqb_compiled *)&schema)

/* ---- helpers ------------------------------------------------------------------------ */

static int dummy_legacy(void *user_data, const char *query, size_t query_len,
                        fqb_legacy_output *out) {
    (void)user_data;
    (void)query;
    (void)query_len;
    return fqb_legacy_output_set_sql(out, "SELECT 1", 8) == FQB_OK ? 0 : 1;
}

static const char *builder_name(uint32_t route) {
    return route == FQB_BUILDER_NATIVE ? "native" : "legacy";
}

static const char *trip_name(uint32_t s) {
    return s == FQB_TRIP_OPEN ? "open" : s == FQB_TRIP_HALF_OPEN ? "half_open" : "closed";
}

static void config_text(const fqb_config *c, char *buf, size_t n) {
    snprintf(buf, n,
             "use_native=%d percentage_bp=%u log_mode=%d fallback=%d kill_switch=%d sticky=%d "
             "shadow=%u/%zu trip=%d/%llu/%u/%u/%llu/%u",
             c->use_native, c->percentage_bp, c->log_mode, c->fallback, c->kill_switch,
             c->sticky, c->shadow_percentage_bp, c->shadow_keep_last, c->trip.enabled,
             (unsigned long long)c->trip.window_ms, c->trip.min_calls, c->trip.threshold_bp,
             (unsigned long long)c->trip.cool_down_ms, c->trip.probe_successes);
}

/* A builder isolated from the process environment (an empty explicit environment). */
static fqb_shim_builder *new_builder(void) {
    fqb_shim_builder *b = NULL;
    fqb_env_var none;
    CHECK_STATUS(fqb_shim_builder_new(schema, &b), FQB_OK, NULL);
    CHECK_STATUS(fqb_shim_builder_set_env(b, &none, 0), FQB_OK, NULL);
    return b;
}

static fqb_shim *build(fqb_shim_builder *b) {
    fqb_shim *s = NULL;
    fqb_error *err = NULL;
    CHECK_STATUS(fqb_shim_builder_build(b, &s, &err), FQB_OK, err);
    fqb_error_free(&err);
    fqb_shim_builder_free(&b);
    return s;
}

/* `set <field> <values...>` of a vector's config. */
static void apply_set(fqb_shim_builder *b, const char *text) {
    char field[32];
    unsigned long long v[6] = {0};
    int n = sscanf(text, "%31s %llu %llu %llu %llu %llu %llu", field, &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5]);
    fqb_result st = FQB_INVALID_ARGUMENT;
    if (n < 2) {
    } else if (!strcmp(field, "use_native")) {
        st = fqb_shim_builder_set_use_native(b, v[0]);
    } else if (!strcmp(field, "log_mode")) {
        st = fqb_shim_builder_set_log_mode(b, v[0]);
    } else if (!strcmp(field, "fallback")) {
        st = fqb_shim_builder_set_fallback(b, v[0]);
    } else if (!strcmp(field, "kill_switch")) {
        st = fqb_shim_builder_set_kill_switch(b, v[0]);
    } else if (!strcmp(field, "sticky")) {
        st = fqb_shim_builder_set_sticky(b, v[0]);
    } else if (!strcmp(field, "percentage_bp")) {
        st = fqb_shim_builder_set_percentage_bp(b, (uint32_t)v[0]);
    } else if (!strcmp(field, "shadow")) {
        st = fqb_shim_builder_set_shadow(b, (uint32_t)v[0], (size_t)v[1]);
    } else if (!strcmp(field, "trip")) {
        fqb_trip_config t = {(bool)v[0], v[1], (uint32_t)v[2], (uint32_t)v[3], v[4],
                             (uint32_t)v[5]};
        st = fqb_shim_builder_set_trip_back(b, &t);
    }
    CHECK_MSG(st == FQB_OK, "set %s: status %u", text, (unsigned)st);
}

static uint32_t shadow_code(const char *s) {
    return !strcmp(s, "match")       ? FQB_SHADOW_MATCH
           : !strcmp(s, "mismatch")  ? FQB_SHADOW_MISMATCH
           : !strcmp(s, "native_error") ? FQB_SHADOW_NATIVE_ERROR
                                        : FQB_SHADOW_COMPARATOR_ERROR;
}

static const char *shadow_name(uint32_t r) {
    return r == FQB_SHADOW_MATCH        ? "match"
           : r == FQB_SHADOW_MISMATCH   ? "mismatch"
           : r == FQB_SHADOW_NATIVE_ERROR ? "native_error"
                                          : "comparator_error";
}

/* ---- 1. vectors ----------------------------------------------------------------------- */

typedef struct vec {
    char name[256];
    int kind; /* 'e'nv, 's'ticky, 'd'ecision, 'q' sequence, 'p'rometheus */
    fqb_env_var vars[16];
    char *var_text[32];
    size_t nvars, ntext;
    fqb_shim_builder *b;
    fqb_shim *shim;
    int legacy, available;
    char *key;
    int has_key;
    /* expectations collected from records */
    char *want_config;
    char *wvar[8], *wval[8], *wexp[8], *wdef[8];
    size_t nwarn;
    char *hash;
    unsigned long bucket;
    /* pending shadow / kept records */
    char pending[32];
    unsigned long long kept_seq;
    char kept_result[32];
    char *view;
    size_t kept_seen;
    fqb_shadow_list *kept;
    char *decide_key;
    int decide_has_key;
} vec;

static double tolerance = 1e-9;

static void vec_reset(vec *v) {
    for (size_t i = 0; i < v->ntext; i++) free(v->var_text[i]);
    for (size_t i = 0; i < v->nwarn; i++) {
        free(v->wvar[i]);
        free(v->wval[i]);
        free(v->wexp[i]);
        free(v->wdef[i]);
    }
    free(v->key);
    free(v->want_config);
    free(v->hash);
    free(v->view);
    free(v->decide_key);
    fqb_shadow_list_free(&v->kept);
    fqb_shim_builder_free(&v->b);
    fqb_shim_free(&v->shim);
    memset(v, 0, sizeof *v);
}

/* The shim of a decision / sequence / prometheus vector, built at its first event. */
static fqb_shim *vec_shim(vec *v) {
    if (v->shim) return v->shim;
    if (v->legacy) fqb_shim_builder_set_legacy(v->b, dummy_legacy, NULL);
    v->shim = build(v->b);
    v->b = NULL;
    if (v->kind == 'p' || v->kind == 'd')
        CHECK_STATUS(fqb_shim_set_native_available(v->shim, v->available), FQB_OK, NULL);
    return v->shim;
}

static void vec_event(vec *v, records *r) {
    fqb_shim *s = vec_shim(v);
    unsigned long long ns = 0, x = 0;
    if (is_tag(r, "native_ok") || is_tag(r, "legacy_ok") || is_tag(r, "legacy_err")) {
        ns = strtoull(r->cur.data, NULL, 10);
        uint32_t o = is_tag(r, "native_ok")   ? FQB_OUTCOME_NATIVE_OK
                     : is_tag(r, "legacy_ok") ? FQB_OUTCOME_LEGACY_OK
                                              : FQB_OUTCOME_LEGACY_ERROR;
        CHECK_STATUS(fqb_shim_record(s, o, ns), FQB_OK, NULL);
    } else if (is_tag(r, "native_err")) {
        sscanf(r->cur.data, "%llu %llu", &ns, &x);
        CHECK_STATUS(fqb_shim_record(s, x ? FQB_OUTCOME_NATIVE_ERROR_FELL_BACK
                                          : FQB_OUTCOME_NATIVE_ERROR,
                                     ns),
                     FQB_OK, NULL);
    } else if (is_tag(r, "advance_ms")) {
        CHECK_STATUS(fqb_shim_advance_ms(s, strtoull(r->cur.data, NULL, 10)), FQB_OK, NULL);
    } else if (is_tag(r, "trip_state")) {
        CHECK_MSG(!strcmp(trip_name(fqb_shim_trip_state(s)), r->cur.data), "%s: trip state %s",
                  v->name, trip_name(fqb_shim_trip_state(s)));
    }
}

static void vec_decide(vec *v, const char *expect) {
    fqb_shim *s = vec_shim(v);
    char route[16], reason[32];
    int probe = 0;
    sscanf(expect, "%15s %31s %d", route, reason, &probe);
    fqb_decision d;
    const char *k = v->decide_has_key ? v->decide_key : NULL;
    CHECK_STATUS(fqb_shim_decide(s, k, k ? strlen(k) : 0, &d), FQB_OK, NULL);
    CHECK_MSG(!strcmp(builder_name(d.route), route), "%s: route", v->name);
    CHECK_MSG(!strcmp(fqb_reason_name(d.reason), reason), "%s: reason %s, want %s", v->name,
              fqb_reason_name(d.reason), reason);
    CHECK_MSG(d.probe == probe, "%s: probe", v->name);
}

static void vec_metric(vec *v, const char *text) {
    char key[32], kind[4], value[64];
    sscanf(text, "%31s %3s %63s", key, kind, value);
    fqb_metrics m;
    CHECK_STATUS(fqb_shim_metrics(vec_shim(v), &m), FQB_OK, NULL);
    struct {
        const char *k;
        double v;
    } num[] = {{"rust_calls", (double)m.rust_calls},
               {"python_calls", (double)m.python_calls},
               {"rust_errors", (double)m.rust_errors},
               {"rust_fallbacks", (double)m.rust_fallbacks},
               {"total_calls", (double)m.total_calls},
               {"rust_percentage", m.rust_percentage},
               {"rust_error_rate", m.rust_error_rate},
               {"avg_rust_time_ms", m.avg_rust_time_ms},
               {"avg_python_time_ms", m.avg_python_time_ms},
               {"python_errors", (double)m.python_errors},
               {"shadow_runs", (double)m.shadow_runs},
               {"shadow_mismatches", (double)m.shadow_mismatches},
               {"shadow_errors", (double)m.shadow_errors},
               {"trips_total", (double)m.trips_total},
               {"native_available", (double)m.native_available}};
    if (!strcmp(key, "trip_state")) {
        CHECK_MSG(!strcmp(trip_name(m.trip_state), value), "%s: trip_state", v->name);
        return;
    }
    for (size_t i = 0; i < sizeof num / sizeof num[0]; i++) {
        if (strcmp(num[i].k, key)) continue;
        double want = strtod(value, NULL);
        if (kind[0] == 'f') {
            CHECK_MSG(fabs(num[i].v - want) <= tolerance * fmax(1.0, fabs(want)),
                      "%s: %s = %g, want %g", v->name, key, num[i].v, want);
        } else {
            CHECK_MSG(num[i].v == want, "%s: %s = %g, want %g", v->name, key, num[i].v, want);
        }
        return;
    }
    CHECK_MSG(0, "%s: unknown metric %s", v->name, key);
}

static void vec_kept(vec *v, const char *input) {
    if (!v->kept) CHECK_STATUS(fqb_shim_shadow_mismatches(vec_shim(v), &v->kept), FQB_OK, NULL);
    fqb_shadow_entry e;
    fqb_result st = fqb_shadow_list_get(v->kept, v->kept_seen++, &e);
    CHECK_MSG(st == FQB_OK, "%s: kept entry %zu missing", v->name, v->kept_seen);
    if (st != FQB_OK) return;
    CHECK(e.seq == v->kept_seq);
    CHECK_STR(shadow_name(e.result), v->kept_result);
    CHECK_STR(e.view.ptr, v->view);
    CHECK_STR(e.input.ptr, input);
}

static void vec_end(vec *v) {
    char got[512];
    if (v->kind == 'e') {
        CHECK_STATUS(fqb_shim_builder_set_env(v->b, v->vars, v->nvars), FQB_OK, NULL);
        fqb_shim *s = build(v->b);
        v->b = NULL;
        fqb_config c;
        CHECK_STATUS(fqb_shim_config(s, &c), FQB_OK, NULL);
        config_text(&c, got, sizeof got);
        CHECK_MSG(!strcmp(got, v->want_config), "%s: config\n  got  %s\n  want %s", v->name,
                  got, v->want_config);
        fqb_warnings *w = NULL;
        CHECK_STATUS(fqb_shim_warnings(s, &w), FQB_OK, NULL);
        CHECK_MSG(fqb_warnings_len(w) == v->nwarn, "%s: %zu warnings, want %zu", v->name,
                  fqb_warnings_len(w), v->nwarn);
        for (size_t i = 0; i < v->nwarn && i < fqb_warnings_len(w); i++) {
            fqb_warning x;
            CHECK_STATUS(fqb_warnings_get(w, i, &x), FQB_OK, NULL);
            CHECK_STR(x.variable.ptr, v->wvar[i]);
            CHECK(x.value.len == strlen(v->wval[i]) && !memcmp(x.value.ptr, v->wval[i], x.value.len));
            CHECK_STR(x.expected.ptr, v->wexp[i]);
            CHECK_STR(x.default_value.ptr, v->wdef[i]);
            CHECK(strstr(x.message.ptr, v->wvar[i]) && strstr(x.message.ptr, v->wdef[i]));
        }
        fqb_warnings_free(&w);
        fqb_shim_free(&s);
    } else if (v->kind == 'd') {
        /* checked at `expect` */
    } else if (v->kind == 'q') {
        if (v->kept)
            CHECK_MSG(fqb_shadow_list_len(v->kept) == v->kept_seen, "%s: kept %zu, want %zu",
                      v->name, fqb_shadow_list_len(v->kept), v->kept_seen);
    }
    vec_reset(v);
}

static void run_vectors(const char *path) {
    records r;
    if (!records_open(&r, path)) exit(2);
    vec v;
    memset(&v, 0, sizeof v);
    size_t counts[128] = {0};
    while (records_next(&r)) {
        const char *d = r.cur.data;
        if (is_tag(&r, "tolerance")) {
            tolerance = strtod(d, NULL);
        } else if (is_tag(&r, "defaults")) {
            fqb_shim *s = build(new_builder());
            fqb_config c;
            char got[512];
            CHECK_STATUS(fqb_shim_config(s, &c), FQB_OK, NULL);
            config_text(&c, got, sizeof got);
            CHECK_STR(got, d);
            fqb_trip_config t;
            CHECK_STATUS(fqb_trip_config_default(&t), FQB_OK, NULL);
            CHECK(t.enabled == c.trip.enabled && t.window_ms == c.trip.window_ms &&
                  t.min_calls == c.trip.min_calls && t.threshold_bp == c.trip.threshold_bp &&
                  t.cool_down_ms == c.trip.cool_down_ms &&
                  t.probe_successes == c.trip.probe_successes);
            fqb_shim_free(&s);
        } else if (is_tag(&r, "env") || is_tag(&r, "sticky") || is_tag(&r, "decision") ||
                   is_tag(&r, "sequence") || is_tag(&r, "prom")) {
            v.kind = is_tag(&r, "env")        ? 'e'
                     : is_tag(&r, "sticky")   ? 's'
                     : is_tag(&r, "decision") ? 'd'
                     : is_tag(&r, "sequence") ? 'q'
                                              : 'p';
            counts[v.kind]++;
            snprintf(v.name, sizeof v.name, "%s", d);
            v.b = new_builder();
            v.legacy = 1;
            v.available = 1;
            if (v.kind == 'd' || v.kind == 'q')
                CHECK_STATUS(fqb_shim_builder_set_sampler(v.b, FQB_SAMPLER_COUNTING, 0), FQB_OK,
                             NULL);
            if (v.kind == 'q' || v.kind == 'p')
                CHECK_STATUS(fqb_shim_builder_set_manual_clock(v.b), FQB_OK, NULL);
            if (v.kind == 's') v.key = strdup(d), v.has_key = 1;
        } else if (is_tag(&r, "var") || is_tag(&r, "val")) {
            char *t = records_take(&r);
            v.var_text[v.ntext++] = t;
            if (is_tag(&r, "var")) {
                v.vars[v.nvars].name = t;
                v.vars[v.nvars].name_len = strlen(t);
            } else {
                v.vars[v.nvars].value = t;
                v.vars[v.nvars++].value_len = r.cur.len;
            }
        } else if (is_tag(&r, "config")) {
            v.want_config = records_take(&r);
        } else if (is_tag(&r, "wvar")) {
            v.wvar[v.nwarn] = records_take(&r);
        } else if (is_tag(&r, "wval")) {
            v.wval[v.nwarn] = records_take(&r);
        } else if (is_tag(&r, "wexp")) {
            v.wexp[v.nwarn] = records_take(&r);
        } else if (is_tag(&r, "wdef")) {
            v.wdef[v.nwarn++] = records_take(&r);
        } else if (is_tag(&r, "hash")) {
            uint64_t h;
            uint32_t bucket;
            CHECK_STATUS(fqb_sticky_bucket(v.key, strlen(v.key), &h, &bucket), FQB_OK, NULL);
            char hex[17];
            snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
            CHECK_MSG(!strcmp(hex, d), "sticky %s: hash %s, want %s", v.key, hex, d);
            v.bucket = bucket;
        } else if (is_tag(&r, "bucket") && v.kind == 's') {
            CHECK_MSG(v.bucket == strtoul(d, NULL, 10), "sticky %s: bucket %lu", v.key, v.bucket);
        } else if (is_tag(&r, "route")) {
            unsigned bp;
            char route[16];
            sscanf(d, "%u %15s", &bp, route);
            fqb_shim_builder *b = new_builder();
            fqb_shim_builder_set_legacy(b, dummy_legacy, NULL);
            CHECK_STATUS(fqb_shim_builder_set_sticky(b, true), FQB_OK, NULL);
            CHECK_STATUS(fqb_shim_builder_set_percentage_bp(b, bp), FQB_OK, NULL);
            fqb_shim *s = build(b);
            fqb_decision dec;
            CHECK_STATUS(fqb_shim_decide(s, v.key, strlen(v.key), &dec), FQB_OK, NULL);
            CHECK_MSG(!strcmp(builder_name(dec.route), route) && dec.has_bucket &&
                          dec.bucket == v.bucket,
                      "sticky %s at %u: %s", v.key, bp, builder_name(dec.route));
            fqb_shim_free(&s);
        } else if (is_tag(&r, "set")) {
            apply_set(v.b, d);
        } else if (is_tag(&r, "legacy")) {
            v.legacy = d[0] == '1';
        } else if (is_tag(&r, "available")) {
            v.available = d[0] == '1';
        } else if (is_tag(&r, "key")) {
            v.key = records_take(&r);
            v.has_key = 1;
        } else if (is_tag(&r, "nokey")) {
            v.has_key = 0;
        } else if (is_tag(&r, "expect")) {
            char route[16], reason[32], bucket[16];
            int shadow;
            sscanf(d, "%15s %31s %15s %d", route, reason, bucket, &shadow);
            fqb_shim *s = vec_shim(&v);
            fqb_decision dec;
            CHECK_STATUS(fqb_shim_decide(s, v.has_key ? v.key : NULL,
                                         v.has_key ? strlen(v.key) : 0, &dec),
                         FQB_OK, NULL);
            CHECK_MSG(!strcmp(builder_name(dec.route), route), "%s: route", v.name);
            CHECK_MSG(!strcmp(fqb_reason_name(dec.reason), reason), "%s: reason %s", v.name,
                      fqb_reason_name(dec.reason));
            CHECK_MSG(dec.shadow == shadow, "%s: shadow", v.name);
            if (bucket[0] == '-')
                CHECK_MSG(!dec.has_bucket, "%s: bucket", v.name);
            else
                CHECK_MSG(dec.has_bucket && dec.bucket == strtoul(bucket, NULL, 10),
                          "%s: bucket", v.name);
            uint64_t drawn = 1;
            CHECK_STATUS(fqb_shim_samples_drawn(s, &drawn), FQB_OK, NULL);
            CHECK_MSG(drawn == 0, "%s: drew randomness", v.name);
        } else if (is_tag(&r, "native_ok") || is_tag(&r, "native_err") ||
                   is_tag(&r, "legacy_ok") || is_tag(&r, "legacy_err") ||
                   is_tag(&r, "advance_ms") || is_tag(&r, "trip_state")) {
            vec_event(&v, &r);
        } else if (is_tag(&r, "shadow")) {
            snprintf(v.pending, sizeof v.pending, "%s", d);
        } else if (is_tag(&r, "kept")) {
            sscanf(d, "%llu %31s", &v.kept_seq, v.kept_result);
            snprintf(v.pending, sizeof v.pending, "kept");
        } else if (is_tag(&r, "view")) {
            free(v.view);
            v.view = records_take(&r);
        } else if (is_tag(&r, "input")) {
            if (!strcmp(v.pending, "kept")) {
                vec_kept(&v, d);
            } else {
                CHECK_STATUS(fqb_shim_record_shadow(vec_shim(&v), shadow_code(v.pending), v.view,
                                                    strlen(v.view), d, r.cur.len),
                             FQB_OK, NULL);
            }
        } else if (is_tag(&r, "decide_key")) {
            free(v.decide_key);
            v.decide_key = records_take(&r);
            v.decide_has_key = 1;
        } else if (is_tag(&r, "decide_nokey")) {
            v.decide_has_key = 0;
        } else if (is_tag(&r, "decide_expect")) {
            vec_decide(&v, d);
        } else if (is_tag(&r, "metric")) {
            vec_metric(&v, d);
        } else if (is_tag(&r, "text")) {
            fqb_buffer *t = NULL;
            CHECK_STATUS(fqb_shim_prometheus(vec_shim(&v), &t), FQB_OK, NULL);
            CHECK_MSG(fqb_buffer_len(t) == r.cur.len && !strcmp(fqb_buffer_data(t), d),
                      "%s: Prometheus text\n--- got\n%s--- want\n%s", v.name, fqb_buffer_data(t),
                      d);
            fqb_buffer_free(&t);
        } else if (is_tag(&r, "end")) {
            vec_end(&v);
        } else {
            fprintf(stderr, "unknown record %s\n", r.cur.tag);
            exit(2);
        }
    }
    records_close(&r);
    printf("rollout vectors through the C API: %zu env, %zu sticky, %zu decisions, %zu "
           "sequences, %zu prometheus\n",
           counts['e'], counts['s'], counts['d'], counts['q'], counts['p']);
    CHECK(counts['e'] >= 30 && counts['s'] >= 5 && counts['d'] >= 10 && counts['q'] >= 5 &&
          counts['p'] >= 3);
}

/* ---- 2. the shim around a C legacy builder ------------------------------------------- */

#define GOOD "{\"view\": \"v_user\", \"select\": [\"id\"], \"where\": {\"age\": {\"gte\": 41}}}"
#define BAD "{\"view\": \"v_user\", \"select\": [\"id\"], \"where\": {\"emial\": {\"eq\": \"x\"}}}"

/* What the test legacy builder does, chosen per query text. */
typedef struct legacy_state {
    atomic_long calls;
    atomic_long failures;
    int style_format; /* write `%s` instead of `$1` */
} legacy_state;

static int test_legacy(void *user_data, const char *query, size_t len, fqb_legacy_output *out) {
    legacy_state *st = user_data;
    atomic_fetch_add(&st->calls, 1);
    /* The query text is given with its length: copy it to look at it as a string. */
    char q[512];
    size_t n = len < sizeof q - 1 ? len : sizeof q - 1;
    memcpy(q, query, n);
    q[n] = '\0';
    if (strstr(q, "\"fail\"")) {
        atomic_fetch_add(&st->failures, 1);
        fqb_legacy_output_set_error(out, "legacy exploded", 15);
        return 42;
    }
    if (strstr(q, "\"no_sql\"")) return 0;
    if (strstr(q, "\"bad_utf8\"")) {
        fqb_legacy_output_set_sql(out, "SELECT 1", 8);
        return fqb_legacy_output_add_param(out, 25, "\xff", 1) == FQB_INVALID_UTF8 ? 0 : 9;
    }
    if (strstr(q, "\"nul_value\"")) {
        fqb_legacy_output_set_sql(out, "SELECT $1", 9);
        return fqb_legacy_output_add_param(out, 25, "a\0b", 3) == FQB_INVALID_ARGUMENT ? 0 : 9;
    }
    if (strstr(q, "\"no_params\"")) return fqb_legacy_output_set_sql(out, "SELECT 1", 8);
    /* The normal case: SQL and two params (one NULL), from a buffer freed right away, as
     * the ownership rule allows. */
    char *sql = strdup(st->style_format ? "SELECT legacy WHERE a = %s AND b = %s"
                                        : "SELECT legacy WHERE a = $1 AND b = $2");
    char *value = strdup("41");
    fqb_result r1 = fqb_legacy_output_set_sql(out, sql, strlen(sql));
    fqb_result r2 = fqb_legacy_output_add_param(out, 20, value, strlen(value));
    fqb_result r3 = fqb_legacy_output_add_null(out, 0);
    free(sql);
    free(value);
    return r1 == FQB_OK && r2 == FQB_OK && r3 == FQB_OK ? 0 : 1;
}

static fqb_shim *shim_with(legacy_state *st, const fqb_env_var *env, size_t n,
                           void (*setup)(fqb_shim_builder *)) {
    fqb_shim_builder *b = new_builder();
    if (st) CHECK_STATUS(fqb_shim_builder_set_legacy(b, test_legacy, st), FQB_OK, NULL);
    if (env) CHECK_STATUS(fqb_shim_builder_set_env(b, env, n), FQB_OK, NULL);
    if (setup) setup(b);
    return build(b);
}

static fqb_metrics metrics(const fqb_shim *s) {
    fqb_metrics m;
    CHECK_STATUS(fqb_shim_metrics(s, &m), FQB_OK, NULL);
    return m;
}

static fqb_result shim_build(const fqb_shim *s, const char *q, fqb_compiled **c, fqb_error **e) {
    return fqb_shim_build(s, q, strlen(q), NULL, 0, c, e);
}

#define ENV(name, value) {name, sizeof name - 1, value, sizeof value - 1}

static void test_legacy_route(void) {
    legacy_state st = {0};
    fqb_shim *s = shim_with(&st, NULL, 0, NULL); /* defaults: 0 %, every call legacy */
    fqb_compiled *c = NULL;
    fqb_error *err = NULL;
    CHECK_STATUS(shim_build(s, GOOD, &c, &err), FQB_OK, err);
    CHECK(fqb_compiled_served_by(c) == FQB_BUILDER_LEGACY);
    CHECK_STR(fqb_compiled_sql(c), "SELECT legacy WHERE a = $1 AND b = $2");
    CHECK(fqb_compiled_param_count(c) == 2);
    CHECK(fqb_compiled_param_types(c)[0] == 20 && fqb_compiled_param_types(c)[1] == 0);
    CHECK_STR(fqb_compiled_param_values(c)[0], "41");
    CHECK(fqb_compiled_param_values(c)[1] == NULL); /* SQL NULL, libpq's way */
    fqb_param p;
    CHECK_STATUS(fqb_compiled_param(c, 1, &p), FQB_OK, NULL);
    CHECK(p.is_null && p.value.ptr == NULL && p.type_name.ptr == NULL);
    fqb_compiled_free(&c);
    fqb_metrics m = metrics(s);
    CHECK(m.python_calls == 1 && m.rust_calls == 0 && m.total_calls == 1 && st.calls == 1);
    fqb_shim_free(&s);
}

static void use_native(fqb_shim_builder *b) { fqb_shim_builder_set_use_native(b, true); }
static void no_fallback(fqb_shim_builder *b) {
    fqb_shim_builder_set_use_native(b, true);
    fqb_shim_builder_set_fallback(b, false);
}

static void test_native_route_and_fallback(void) {
    legacy_state st = {0};
    fqb_shim *s = shim_with(&st, NULL, 0, use_native);
    fqb_compiled *c = NULL;
    fqb_error *err = NULL;
    CHECK_STATUS(shim_build(s, GOOD, &c, &err), FQB_OK, err);
    CHECK(fqb_compiled_served_by(c) == FQB_BUILDER_NATIVE && st.calls == 0);
    CHECK(strstr(fqb_compiled_sql(c), ">= $1::bigint") != NULL);
    fqb_compiled_free(&c);
    /* A native failure falls back to legacy (fallback on by default). */
    CHECK_STATUS(shim_build(s, BAD, &c, &err), FQB_OK, err);
    CHECK(fqb_compiled_served_by(c) == FQB_BUILDER_LEGACY && st.calls == 1);
    fqb_compiled_free(&c);
    fqb_metrics m = metrics(s);
    CHECK(m.rust_calls == 2 && m.rust_errors == 1 && m.rust_fallbacks == 1);
    CHECK(m.python_calls == 1 && m.total_calls == 2 && m.rust_percentage == 50.0);
    fqb_shim_free(&s);
    /* Fallback off: the native error, with its code and path; legacy not called. */
    s = shim_with(&st, NULL, 0, no_fallback);
    c = UNTOUCHED_C;
    CHECK_STATUS(shim_build(s, BAD, &c, &err), FQB_UNKNOWN_FIELD, err);
    CHECK(c == UNTOUCHED_C);
    CHECK_STR(fqb_error_path(err), "where.emial");
    fqb_error_free(&err);
    CHECK(st.calls == 1);
    m = metrics(s);
    CHECK(m.rust_calls == 1 && m.rust_errors == 1 && m.rust_fallbacks == 0 && m.python_calls == 0);
    fqb_shim_free(&s);
    /* No legacy registered: every call native, its error returned. */
    s = shim_with(NULL, NULL, 0, NULL);
    CHECK_STATUS(shim_build(s, GOOD, &c, &err), FQB_OK, err);
    CHECK(fqb_compiled_served_by(c) == FQB_BUILDER_NATIVE);
    fqb_compiled_free(&c);
    CHECK_STATUS(shim_build(s, BAD, &c, &err), FQB_UNKNOWN_FIELD, err);
    fqb_error_free(&err);
    /* ... and with the native compiler marked unavailable: no builder at all. */
    CHECK_STATUS(fqb_shim_set_native_available(s, false), FQB_OK, NULL);
    CHECK_STATUS(shim_build(s, GOOD, &c, &err), FQB_NO_BUILDER, err);
    CHECK_STR(fqb_error_code(err), "FQB_NO_BUILDER");
    fqb_error_free(&err);
    CHECK_STATUS(fqb_shim_set_native_available(s, true), FQB_OK, NULL);
    fqb_shim_free(&s);
}

static void test_failing_and_malformed_legacy(void) {
    legacy_state st = {0};
    fqb_shim *s = shim_with(&st, NULL, 0, NULL);
    fqb_compiled *c = NULL;
    fqb_error *err = NULL;
    const char *fail = "{\"view\": \"v_user\", \"select\": [\"id\"], \"x\": \"fail\"}";
    CHECK_STATUS(shim_build(s, fail, &c, &err), FQB_LEGACY_FAILED, err);
    CHECK(c == NULL);
    CHECK(fqb_error_legacy_status(err) == 42);
    CHECK_STR(fqb_error_message(err), "legacy exploded");
    CHECK_STR(fqb_error_code(err), "FQB_LEGACY_FAILED");
    fqb_error_free(&err);
    const char *cases[][2] = {
        {"{\"x\": \"no_sql\"}", "without setting the SQL"},
        {"{\"x\": \"bad_utf8\"}", "not valid UTF-8"},
        {"{\"x\": \"nul_value\"}", "NUL byte"},
    };
    for (size_t i = 0; i < 3; i++) {
        CHECK_STATUS(shim_build(s, cases[i][0], &c, &err), FQB_LEGACY_MALFORMED, err);
        CHECK_MSG(strstr(fqb_error_message(err), cases[i][1]) != NULL, "%s", fqb_error_text(err));
        fqb_error_free(&err);
        CHECK(c == NULL);
    }
    /* Each failure counted once as a legacy error; the next call is served normally. */
    CHECK_STATUS(shim_build(s, GOOD, &c, &err), FQB_OK, err);
    fqb_compiled_free(&c);
    fqb_metrics m = metrics(s);
    CHECK(m.python_calls == 5 && m.python_errors == 4 && m.total_calls == 5);
    CHECK(m.rust_calls == 0 && m.rust_errors == 0 && m.rust_fallbacks == 0);
    /* NULL output handle: a status (there is nothing to mark). */
    CHECK_STATUS(fqb_legacy_output_set_sql(NULL, "x", 1), FQB_NULL_PARAMETER, NULL);
    fqb_shim_free(&s);
}

static void format_style(fqb_shim_builder *b) {
    fqb_options *o = fqb_options_new();
    fqb_options_set_placeholder(o, FQB_PLACEHOLDER_FORMAT);
    CHECK_STATUS(fqb_shim_builder_set_options(b, o), FQB_OK, NULL);
    fqb_options_free(&o);
}

static void test_placeholder_style(void) {
    /* The shim writes $1 (default) but the legacy builder writes %s. */
    legacy_state st = {0};
    st.style_format = 1;
    fqb_shim *s = shim_with(&st, NULL, 0, NULL);
    fqb_compiled *c = NULL;
    fqb_error *err = NULL;
    /* An inconclusive statement (no placeholder, no parameter) passes... */
    CHECK_STATUS(shim_build(s, "{\"x\": \"no_params\"}", &c, &err), FQB_OK, err);
    fqb_compiled_free(&c);
    /* ... the first conclusive one is a configuration error, on that call. */
    CHECK_STATUS(shim_build(s, GOOD, &c, &err), FQB_CONFIGURATION, err);
    CHECK(c == NULL);
    CHECK(strstr(fqb_error_message(err), "placeholder style numbered") != NULL);
    fqb_error_free(&err);
    CHECK_STATUS(shim_build(s, GOOD, &c, &err), FQB_CONFIGURATION, err);
    fqb_error_free(&err);
    fqb_metrics m = metrics(s);
    CHECK(m.python_calls == 3 && m.python_errors == 2);
    fqb_shim_free(&s);
    /* Configured with the legacy builder's style: served, and native writes %s too. */
    s = shim_with(&st, NULL, 0, format_style);
    CHECK_STATUS(shim_build(s, GOOD, &c, &err), FQB_OK, err);
    CHECK_STR(fqb_compiled_sql(c), "SELECT legacy WHERE a = %s AND b = %s");
    fqb_compiled_free(&c);
    fqb_shim_free(&s);
}

/* Log lines, collected. */
typedef struct log_sink {
    int warnings, debug;
    char last[512];
} log_sink;

static void collect_log(void *user_data, uint32_t level, const char *msg, size_t len) {
    log_sink *l = user_data;
    if (level == FQB_LOG_WARNING) l->warnings++;
    if (level == FQB_LOG_DEBUG) l->debug++;
    CHECK(strlen(msg) == len);
    snprintf(l->last, sizeof l->last, "%s", msg);
}

static log_sink sink;
static void with_log(fqb_shim_builder *b) {
    CHECK_STATUS(fqb_shim_builder_set_log(b, collect_log, &sink), FQB_OK, NULL);
}

static void test_env_and_reload(void) {
    legacy_state st = {0};
    memset(&sink, 0, sizeof sink);
    fqb_env_var bad[] = {ENV("FRAISEQL_RUST_QB_PERCENTAGE", "abc"),
                         ENV("FRAISEQL_USE_RUST_QUERY_BUILDER", "maybe"),
                         ENV("FRAISEQL_RUST_QB_FALLBACK", "\xff\xfe")};
    fqb_shim *s = shim_with(&st, bad, 3, with_log);
    CHECK(s != NULL);
    CHECK(sink.warnings == 3);
    fqb_config c;
    CHECK_STATUS(fqb_shim_config(s, &c), FQB_OK, NULL);
    CHECK(c.percentage_bp == 0 && !c.use_native && c.fallback); /* defaults */
    fqb_warnings *w = NULL;
    CHECK_STATUS(fqb_shim_warnings(s, &w), FQB_OK, NULL);
    CHECK(fqb_warnings_len(w) == 3);
    fqb_warning x;
    CHECK_STATUS(fqb_warnings_get(w, 0, &x), FQB_OK, NULL);
    CHECK_STR(x.message.ptr, "fraiseql rollout: ignoring malformed FRAISEQL_USE_RUST_QUERY_BUILDER="
                             "\"maybe\": expected true/false, 1/0, yes/no or on/off; using default "
                             "false");
    CHECK_STATUS(fqb_warnings_get(w, 1, &x), FQB_OK, NULL);
    CHECK_STR(x.variable.ptr, "FRAISEQL_RUST_QB_PERCENTAGE");
    CHECK_STR(x.default_value.ptr, "0.00");
    CHECK_STATUS(fqb_warnings_get(w, 2, &x), FQB_OK, NULL);
    CHECK_STR(x.variable.ptr, "FRAISEQL_RUST_QB_FALLBACK"); /* invalid UTF-8: malformed */
    CHECK_STR(x.default_value.ptr, "true");
    CHECK_STATUS(fqb_warnings_get(w, 3, &x), FQB_INVALID_ARGUMENT, NULL);
    fqb_warnings_free(&w);
    fqb_compiled *cq = NULL;
    CHECK_STATUS(shim_build(s, GOOD, &cq, NULL), FQB_OK, NULL);
    CHECK(fqb_compiled_served_by(cq) == FQB_BUILDER_LEGACY);
    fqb_compiled_free(&cq);
    /* Reload with good values: applied, warnings gone, counters kept. */
    fqb_env_var good[] = {ENV("FRAISEQL_RUST_QB_PERCENTAGE", "100"),
                          ENV("FRAISEQL_LOG_QUERY_BUILDER_MODE", " ON ")};
    CHECK_STATUS(fqb_shim_reload(s, good, 2), FQB_OK, NULL);
    CHECK_STATUS(fqb_shim_config(s, &c), FQB_OK, NULL);
    CHECK(c.percentage_bp == 10000 && c.log_mode);
    CHECK_STATUS(fqb_shim_warnings(s, &w), FQB_OK, NULL);
    CHECK(fqb_warnings_len(w) == 0);
    fqb_warnings_free(&w);
    CHECK(sink.warnings == 3);
    CHECK_STATUS(shim_build(s, GOOD, &cq, NULL), FQB_OK, NULL);
    CHECK(fqb_compiled_served_by(cq) == FQB_BUILDER_NATIVE);
    fqb_compiled_free(&cq);
    CHECK(sink.debug == 1);
    CHECK_STR(sink.last,
              "fraiseql query builder: view \"v_user\" served by rust (reason=percentage_sampled)");
    /* A native failure served by legacy logs the fallback line, then the served line. */
    CHECK_STATUS(shim_build(s, BAD, &cq, NULL), FQB_OK, NULL);
    fqb_compiled_free(&cq);
    CHECK(sink.debug == 3);
    CHECK_STR(sink.last,
              "fraiseql query builder: view \"v_user\" served by python (reason=percentage_sampled)");
    fqb_metrics m = metrics(s);
    CHECK(m.total_calls == 3 && m.python_calls == 2 && m.rust_calls == 2 && m.rust_fallbacks == 1);
    /* Reload from the process environment (NULL): the test runs without FRAISEQL_ vars. */
    CHECK_STATUS(fqb_shim_reload(s, NULL, 0), FQB_OK, NULL);
    CHECK_STATUS(fqb_shim_config(s, &c), FQB_OK, NULL);
    CHECK(c.percentage_bp == 0);
    /* An entry with a NULL pointer is a programming error, not an environment value. */
    fqb_env_var null_name[] = {{NULL, 3, "1", 1}};
    CHECK_STATUS(fqb_shim_reload(s, null_name, 1), FQB_NULL_PARAMETER, NULL);
    fqb_shim_free(&s);
    /* Programmatic settings are code: out of range is a status, not a warning. */
    fqb_shim_builder *b = new_builder();
    CHECK_STATUS(fqb_shim_builder_set_percentage_bp(b, 10001), FQB_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(fqb_shim_builder_set_shadow(b, 20000, 1), FQB_INVALID_ARGUMENT, NULL);
    fqb_trip_config t;
    fqb_trip_config_default(&t);
    t.threshold_bp = 10001;
    CHECK_STATUS(fqb_shim_builder_set_trip_back(b, &t), FQB_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(fqb_shim_builder_set_sampler(b, 3, 0), FQB_INVALID_ARGUMENT, NULL);
    s = build(b);
    uint64_t drawn;
    CHECK_STATUS(fqb_shim_advance_ms(s, 1), FQB_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(fqb_shim_samples_drawn(s, &drawn), FQB_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(fqb_shim_record(s, 99, 1), FQB_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(fqb_shim_record_shadow(s, 9, "v", 1, "", 0), FQB_INVALID_ARGUMENT, NULL);
    CHECK_STATUS(fqb_shim_build(s, GOOD, strlen(GOOD), "\xff", 1, &cq, NULL), FQB_INVALID_UTF8,
                 NULL);
    fqb_shim_free(&s);
}

static int compare_same(void *u, const fqb_compiled *legacy, const fqb_compiled *native) {
    (void)u;
    return fqb_compiled_served_by(legacy) == FQB_BUILDER_LEGACY &&
           fqb_compiled_served_by(native) == FQB_BUILDER_NATIVE;
}
static int compare_broken(void *u, const fqb_compiled *l, const fqb_compiled *n) {
    (void)u, (void)l, (void)n;
    return -1;
}
static void shadow_all(fqb_shim_builder *b) { fqb_shim_builder_set_shadow(b, 10000, 5); }
static void shadow_same(fqb_shim_builder *b) {
    shadow_all(b);
    fqb_shim_builder_set_comparator(b, compare_same, NULL);
}
static void shadow_broken(fqb_shim_builder *b) {
    shadow_all(b);
    fqb_shim_builder_set_comparator(b, compare_broken, NULL);
}

static void test_shadow(void) {
    legacy_state st = {0};
    fqb_shim *s = shim_with(&st, NULL, 0, shadow_all);
    fqb_compiled *c = NULL;
    CHECK_STATUS(shim_build(s, GOOD, &c, NULL), FQB_OK, NULL);
    CHECK(fqb_compiled_served_by(c) == FQB_BUILDER_LEGACY); /* legacy is served */
    fqb_compiled_free(&c);
    CHECK_STATUS(shim_build(s, BAD, &c, NULL), FQB_OK, NULL);
    fqb_compiled_free(&c);
    fqb_metrics m = metrics(s);
    CHECK(m.shadow_runs == 2 && m.shadow_mismatches == 2 && m.shadow_errors == 1);
    CHECK(m.rust_calls == 0 && m.python_calls == 2);
    fqb_shadow_list *l = NULL;
    CHECK_STATUS(fqb_shim_shadow_mismatches(s, &l), FQB_OK, NULL);
    CHECK(fqb_shadow_list_len(l) == 2);
    fqb_shadow_entry e;
    CHECK_STATUS(fqb_shadow_list_get(l, 0, &e), FQB_OK, NULL);
    CHECK(e.seq == 1 && e.result == FQB_SHADOW_MISMATCH);
    CHECK_STR(e.view.ptr, "v_user");
    CHECK(strstr(e.input.ptr, "legacy=SELECT legacy WHERE a = $1 AND b = $2 [41, NULL]") != NULL);
    CHECK(strstr(e.input.ptr, "native=SELECT") != NULL);
    CHECK_STATUS(fqb_shadow_list_get(l, 1, &e), FQB_OK, NULL);
    CHECK(e.seq == 2 && e.result == FQB_SHADOW_NATIVE_ERROR);
    CHECK(strstr(e.input.ptr, "QB_UNKNOWN_FIELD at where.emial") != NULL);
    CHECK_STATUS(fqb_shadow_list_get(l, 2, &e), FQB_INVALID_ARGUMENT, NULL);
    fqb_shadow_list_free(&l);
    fqb_shim_free(&s);
    s = shim_with(&st, NULL, 0, shadow_same);
    CHECK_STATUS(shim_build(s, GOOD, &c, NULL), FQB_OK, NULL);
    fqb_compiled_free(&c);
    m = metrics(s);
    CHECK(m.shadow_runs == 1 && m.shadow_mismatches == 0 && m.shadow_errors == 0);
    fqb_shim_free(&s);
    s = shim_with(&st, NULL, 0, shadow_broken);
    CHECK_STATUS(shim_build(s, GOOD, &c, NULL), FQB_OK, NULL);
    fqb_compiled_free(&c);
    m = metrics(s);
    CHECK(m.shadow_runs == 1 && m.shadow_mismatches == 0 && m.shadow_errors == 1);
    fqb_shim_free(&s);
}

static void sticky_half(fqb_shim_builder *b) {
    fqb_shim_builder_set_sticky(b, true);
    fqb_shim_builder_set_percentage_bp(b, 5000);
}

static void test_sticky_and_prometheus(void) {
    legacy_state st = {0};
    fqb_shim *s = shim_with(&st, NULL, 0, sticky_half);
    for (int k = 0; k < 20; k++) {
        char key[32];
        snprintf(key, sizeof key, "tenant-%d", k);
        uint64_t h;
        uint32_t bucket;
        CHECK_STATUS(fqb_sticky_bucket(key, strlen(key), &h, &bucket), FQB_OK, NULL);
        uint32_t first = 0;
        for (int i = 0; i < 5; i++) {
            fqb_compiled *c = NULL;
            CHECK_STATUS(fqb_shim_build(s, GOOD, strlen(GOOD), key, strlen(key), &c, NULL), FQB_OK,
                         NULL);
            uint32_t by = fqb_compiled_served_by(c);
            if (i == 0) first = by;
            CHECK(by == first);
            CHECK(by == (bucket < 5000 ? FQB_BUILDER_NATIVE : FQB_BUILDER_LEGACY));
            fqb_compiled_free(&c);
        }
    }
    fqb_buffer *t = NULL;
    CHECK_STATUS(fqb_shim_prometheus(s, &t), FQB_OK, NULL);
    CHECK(strstr(fqb_buffer_data(t), "fraiseql_query_builder_calls_total{builder_type=\"rust\"}"));
    CHECK(fqb_buffer_len(t) == strlen(fqb_buffer_data(t)));
    fqb_buffer_free(&t);
    CHECK(t == NULL);
    fqb_buffer_free(&t);
    fqb_metrics before, after, g;
    CHECK_STATUS(fqb_global_metrics(&before), FQB_OK, NULL);
    fqb_metrics m = metrics(s);
    CHECK(m.total_calls == 100 && m.rust_calls + m.python_calls == 100);
    CHECK_STATUS(fqb_shim_reset_metrics(s), FQB_OK, NULL);
    m = metrics(s);
    CHECK(m.total_calls == 0);
    /* The process-wide metrics keep counting across shims and resets. */
    fqb_compiled *c = NULL;
    CHECK_STATUS(fqb_shim_build(s, GOOD, strlen(GOOD), "k", 1, &c, NULL), FQB_OK, NULL);
    fqb_compiled_free(&c);
    CHECK_STATUS(fqb_global_metrics(&after), FQB_OK, NULL);
    CHECK(after.total_calls == before.total_calls + 1);
    CHECK_STATUS(fqb_global_prometheus(&t), FQB_OK, NULL);
    CHECK(strstr(fqb_buffer_data(t), "fraiseql_rust_query_builder_available 1") != NULL);
    fqb_buffer_free(&t);
    (void)g;
    fqb_shim_free(&s);
}

/* ---- 3. threads ----------------------------------------------------------------------- */

#define THREADS 8
#define CALLS 400

typedef struct thread_arg {
    const fqb_shim *shim;
    long native, legacy, failed;
} thread_arg;

static void *hammer(void *p) {
    thread_arg *a = p;
    const char *fail = "{\"view\": \"v_user\", \"select\": [\"id\"], \"x\": \"fail\"}";
    for (int i = 0; i < CALLS; i++) {
        fqb_compiled *c = NULL;
        /* Every 10th call is a query that fails natively (falls back) or fails in legacy. */
        const char *q = i % 10 == 3 ? BAD : i % 10 == 7 ? fail : GOOD;
        fqb_result st = fqb_shim_build(a->shim, q, strlen(q), NULL, 0, &c, NULL);
        if (st != FQB_OK) {
            a->failed++;
        } else if (fqb_compiled_served_by(c) == FQB_BUILDER_NATIVE) {
            a->native++;
        } else {
            a->legacy++;
        }
        fqb_compiled_free(&c);
    }
    return NULL;
}

static void half(fqb_shim_builder *b) { fqb_shim_builder_set_percentage_bp(b, 5000); }

static void test_threads(void) {
    legacy_state st = {0};
    fqb_shim *s = shim_with(&st, NULL, 0, half);
    pthread_t t[THREADS];
    thread_arg a[THREADS];
    for (int i = 0; i < THREADS; i++) {
        a[i] = (thread_arg){s, 0, 0, 0};
        pthread_create(&t[i], NULL, hammer, &a[i]);
    }
    long native = 0, legacy = 0, failed = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        native += a[i].native;
        legacy += a[i].legacy;
        failed += a[i].failed;
    }
    fqb_metrics m = metrics(s);
    const long total = THREADS * CALLS;
    CHECK_MSG(native + legacy + failed == total, "%ld calls", native + legacy + failed);
    CHECK_MSG(m.total_calls == (uint64_t)total, "total_calls %llu", (unsigned long long)m.total_calls);
    CHECK(m.python_calls == (uint64_t)st.calls);
    CHECK(m.python_errors == (uint64_t)st.failures);
    CHECK(m.python_errors == (uint64_t)failed);
    /* Every call was served natively, or invoked legacy (routed or fallback). */
    CHECK(m.rust_calls - m.rust_errors == (uint64_t)native);
    CHECK(m.python_calls - m.python_errors == (uint64_t)legacy);
    CHECK(m.rust_fallbacks == m.rust_errors); /* fallback is on and legacy registered */
    CHECK(m.rust_calls + m.python_calls - m.rust_fallbacks == (uint64_t)total);
    CHECK(native > 0 && legacy > 0);
    printf("8 threads x %d calls: %ld native, %ld legacy, %ld legacy failures; metrics exact\n",
           CALLS, native, legacy, failed);
    fqb_shim_free(&s);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s VECTOR_RECORDS SCHEMA_JSON_FILE\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[2], "rb");
    if (!f) return 2;
    char *text = calloc(1, 1 << 20);
    size_t len = fread(text, 1, (1 << 20) - 1, f);
    fclose(f);
    CHECK_STATUS(fqb_schema_new(text, len, &schema, NULL), FQB_OK, NULL);
    free(text);
    run_vectors(argv[1]);
    test_legacy_route();
    test_native_route_and_fallback();
    test_failing_and_malformed_legacy();
    test_placeholder_style();
    test_env_and_reload();
    test_shadow();
    test_sticky_and_prometheus();
    test_threads();
    fqb_schema_free(&schema);
    return test_report("test_rollout");
}
