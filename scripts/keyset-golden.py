#!/usr/bin/env python3
"""Writes the keyset pagination golden cases (tests/golden/cases/keyset_*.json).

Cursors carry a fingerprint of the query's ORDER BY, so they are made here from hand-chosen
sort-key values (the fingerprint read from the SQL the `qb` CLI compiles); the expected rows
are hand-written from tests/fixtures/README.md. Run after a change to how order keys are
written (the cursors of the cases then stop matching), then
`BLESS=1 cargo test -p qb-testpg --test golden` and review the diff.

usage: scripts/keyset-golden.py   (needs the qb CLI built: cargo build -p qb-cli)
"""
import base64
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = os.path.join(ROOT, "tests/golden/schema.json")
CASES = os.path.join(ROOT, "tests/golden/cases")
QB = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "debug/qb")


def u(n):
    return f"11111111-0000-0000-0000-0000000000{n:02d}"


def p(n):
    return f"22222222-0000-0000-0000-0000000000{n:02d}"


def varint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def compile_sql(query):
    r = subprocess.run([QB, "--schema", SCHEMA, "--json", "-"], input=json.dumps(query),
                       capture_output=True, text=True)
    out = json.loads(r.stdout)
    if "error" in out:
        sys.exit(f"does not compile: {query}: {out['error']}")
    return out["sql"]


def cursor(query, values):
    """The cursor of a row whose sort keys (the primary key last) are `values`."""
    q = {k: v for k, v in query.items() if k not in ("after", "before")}
    q.setdefault("first", 1) if "last" not in q else None
    fp = re.search(r"jsonb_build_array\('([0-9a-f]{16})'", compile_sql(q)).group(1)
    b = bytes([1, 0]) + bytes.fromhex(fp) + varint(len(values))
    for v in values:
        if v is None:
            b += b"\0"
        else:
            e = v.encode()
            b += b"\1" + varint(len(e)) + e
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


AGE = [{"field": "age"}]
AGE_NF = [{"field": "age", "nulls": "first"}]
AGE_DESC = [{"field": "age", "direction": "desc"}]
AGE_DESC_NL = [{"field": "age", "direction": "desc", "nulls": "last"}]
AGE_CITY = [{"field": "age"}, {"field": "profile.city", "direction": "desc", "nulls": "last"}]
ACTIVE_CREATED = [{"field": "active", "nulls": "first"},
                  {"field": "created_at", "direction": "desc"}]
CITY_NF = [{"field": "profile.city", "nulls": "first"}]


def ts(n):
    return f"2024-01-01 {n:02d}:00:00+00"


# (name, description, order_by, extra query keys, cursor values or None, expected user numbers)
PAGES = [
    ("first_page_age_asc", "first 3 by age: 0, 18, then the first of three 25s", AGE,
     {"first": 3}, None, [5, 13, 3]),
    ("after_inside_tie", "after (25, u03): the rest of the 25s by id, then the first 30", AGE,
     {"first": 3}, ("after", ["25", u(3)]), [10, 15, 1]),
    ("after_tie_boundary", "after (30, u02): the tie continues with u12, u16", AGE,
     {"first": 2}, ("after", ["30", u(2)]), [12, 16]),
    ("after_into_nulls", "after (99, u07): only the NULL ages (missing, JSON null) remain", AGE,
     {"first": 5}, ("after", ["99", u(7)]), [8, 9]),
    ("after_on_null", "page boundary on a NULL: after (NULL, u08) is u09 only", AGE,
     {"first": 5}, ("after", [None, u(8)]), [9]),
    ("after_last_row", "after the last row: empty", AGE,
     {"first": 5}, ("after", [None, u(9)]), []),
    ("nulls_first_first_page", "NULLS FIRST: the NULL ages lead", AGE_NF,
     {"first": 3}, None, [8, 9, 5]),
    ("nulls_first_after_null", "NULLS FIRST, after (NULL, u08): u09 then the values", AGE_NF,
     {"first": 3}, ("after", [None, u(8)]), [9, 5, 13]),
    ("nulls_first_after_last_null", "NULLS FIRST, after the last NULL", AGE_NF,
     {"first": 2}, ("after", [None, u(9)]), [5, 13]),
    ("desc_first_page", "desc (NULLs first by default)", AGE_DESC,
     {"first": 4}, None, [8, 9, 7, 14]),
    ("desc_after_tie", "desc, after (41, u04): u11 (41) then 35, 30", AGE_DESC,
     {"first": 3}, ("after", ["41", u(4)]), [11, 6, 1]),
    ("desc_after_null", "desc, after (NULL, u09): the values begin", AGE_DESC,
     {"first": 2}, ("after", [None, u(9)]), [7, 14]),
    ("desc_nulls_last_after_min", "desc NULLS LAST, after (0, u05): the NULLs", AGE_DESC_NL,
     {"first": 3}, ("after", ["0", u(5)]), [8, 9]),
    ("desc_nulls_last_after_18", "desc NULLS LAST, after (18, u13)", AGE_DESC_NL,
     {"first": 3}, ("after", ["18", u(13)]), [5, 8, 9]),
    ("last_page", "last 3, in the requested order", AGE,
     {"last": 3}, None, [7, 8, 9]),
    ("before_null", "before (NULL, u08): the last values", AGE,
     {"last": 3}, ("before", [None, u(8)]), [11, 14, 7]),
    ("before_inside_tie", "before (30, u01): the 25s", AGE,
     {"last": 2}, ("before", ["30", u(1)]), [10, 15]),
    ("before_first_row", "before the first row: empty", AGE,
     {"last": 3}, ("before", ["0", u(5)]), []),
    ("before_second_null", "page boundary on a NULL going backward", AGE,
     {"last": 1}, ("before", [None, u(9)]), [8]),
    ("nulls_first_before_first_value", "NULLS FIRST, before (0, u05): the NULLs", AGE_NF,
     {"last": 5}, ("before", ["0", u(5)]), [8, 9]),
    ("nulls_first_before_null", "NULLS FIRST, before (NULL, u09)", AGE_NF,
     {"last": 5}, ("before", [None, u(9)]), [8]),
    ("desc_last_page", "desc, last 2", AGE_DESC,
     {"last": 2}, None, [13, 5]),
    ("desc_before_tie", "desc, before (41, u11)", AGE_DESC,
     {"last": 3}, ("before", ["41", u(11)]), [7, 14, 4]),
    ("two_keys_first_page", "age asc, profile.city desc NULLS LAST", AGE_CITY,
     {"first": 4}, None, [5, 13, 10, 15]),
    ("two_keys_after_tie_on_both", "after (30, Paris, u02): New York then the NULL city",
     AGE_CITY, {"first": 3}, ("after", ["30", "Paris", u(2)]), [12, 16, 6]),
    ("two_keys_after_null_second", "after (30, NULL, u16): NULL in the second key", AGE_CITY,
     {"first": 2}, ("after", ["30", None, u(16)]), [6, 4]),
    ("two_keys_after_null_both", "after (NULL, NULL, u08)", AGE_CITY,
     {"first": 3}, ("after", [None, None, u(8)]), [9]),
    ("two_keys_before", "before (30, New York, u12)", AGE_CITY,
     {"last": 3}, ("before", ["30", "New York", u(12)]), [3, 1, 2]),
    ("two_keys_before_null_second", "before (30, NULL, u16)", AGE_CITY,
     {"last": 1}, ("before", ["30", None, u(16)]), [12]),
    ("bool_and_column_first_page", "active NULLS FIRST, created_at desc", ACTIVE_CREATED,
     {"first": 3}, None, [14, 9, 8]),
    ("bool_and_column_after_null", "after (NULL, u05's created_at, u05): the falses",
     ACTIVE_CREATED, {"first": 3}, ("after", [None, ts(5), u(5)]), [16, 12, 7]),
    ("bool_and_column_before", "before (true, u15's created_at, u15): the last falses",
     ACTIVE_CREATED, {"last": 2}, ("before", ["true", ts(15), u(15)]), [7, 2]),
    ("bool_and_column_last_page", "last 3", ACTIVE_CREATED,
     {"last": 3}, None, [4, 3, 1]),
    ("nested_path_after_null", "profile.city NULLS FIRST, after (NULL, u16)", CITY_NF,
     {"first": 3}, ("after", [None, u(16)]), [5, 6, 11]),
    ("nested_path_before_value", "profile.city NULLS FIRST, before (Berlin, u05): the NULLs",
     CITY_NF, {"last": 10}, ("before", ["Berlin", u(5)]), [8, 9, 14, 16]),
    ("format_placeholders", "the %s style", AGE,
     {"first": 2}, ("after", ["25", u(3)]), [10, 15]),
    ("columns_output", "columns output: the id column and __cursor", AGE,
     {"first": 2, "output": "columns"}, ("after", ["30", u(16)]), [6, 4]),
    ("columns_output_backward", "columns output going backward (wrapped)", AGE,
     {"last": 2, "output": "columns"}, ("before", ["30", u(1)]), [10, 15]),
    ("json_text_backward", "json_text output going backward", AGE,
     {"last": 2, "output": "json_text"}, None, [8, 9]),
    ("id_only_order", "ordered by the primary key itself: no key appended", [{"field": "id", "direction": "desc"}],
     {"first": 3}, ("after", [u(10)]), [9, 8, 7]),
]

# Page info and total count: (name, description, order_by, extra, cursor, rows as
# (user number or None, cursor values or None), has_next, has_previous, total or None)
INFO = [
    ("info_first_page", "first page: more follow, none precede; 16 users", AGE,
     {"first": 3, "page_info": True, "total_count": True}, None,
     [(5, ["0", u(5)]), (13, ["18", u(13)]), (3, ["25", u(3)])], True, False, 16),
    ("info_last_forward_page", "after (NULL, u08): the last row; rows precede", AGE,
     {"first": 5, "page_info": True, "total_count": True}, ("after", [None, u(8)]),
     [(9, [None, u(9)])], False, True, 16),
    ("info_empty_page", "after the last row: one row without an edge carries the page info",
     AGE, {"first": 5, "page_info": True, "total_count": True}, ("after", [None, u(9)]),
     [(None, None)], False, True, 16),
    ("info_backward_filtered", "last 2 of age >= 30 (9 rows): rows precede, none follow",
     AGE, {"last": 2, "page_info": True, "total_count": True, "where": {"age": {"gte": 30}}},
     None, [(14, ["65", u(14)]), (7, ["99", u(7)])], False, True, 9),
    ("info_backward_before", "last 2 before (41, u04) of age >= 30: rows on both sides", AGE,
     {"last": 2, "page_info": True, "where": {"age": {"gte": 30}}}, ("before", ["41", u(4)]),
     [(16, ["30", u(16)]), (6, ["35", u(6)])], True, True, None),
    ("info_first_zero", "first 0: no edge, a next page", AGE,
     {"first": 0, "page_info": True, "total_count": True}, None, [(None, None)], True, False, 16),
    ("total_only", "total_count without page_info", AGE,
     {"first": 1, "total_count": True, "where": {"age": {"lt": 20}}}, None,
     [(5, ["0", u(5)])], None, None, 2),
]

ERRORS = [
    ("err_keyset_not_base64", "a cursor that is not base64url",
     {"order_by": AGE, "first": 2, "after": "not a cursor!"}),
    ("err_keyset_truncated", "a truncated cursor", None),
    ("err_keyset_other_order", "a cursor of age asc used with age desc", None),
    ("err_keyset_other_view", "a cursor of v_user used on v_post", None),
    ("err_keyset_value_count", "a cursor with one value for two keys", None),
    ("err_keyset_forged_value", "an unsigned cursor forged with a value that is no number", None),
    ("err_keyset_forged_timestamp", "a forged timestamp for a timestamptz column key", None),
    ("err_keyset_first_and_last", "first and last together",
     {"order_by": AGE, "first": 2, "last": 2}),
    ("err_keyset_after_with_last", "after pages forward",
     {"order_by": AGE, "last": 2, "after": "AQ"}),
    ("err_keyset_before_with_first", "before pages backward",
     {"order_by": AGE, "first": 2, "before": "AQ"}),
    ("err_keyset_limit", "limit and first do not mix", {"order_by": AGE, "first": 2, "limit": 3}),
    ("err_keyset_offset", "offset and last do not mix", {"order_by": AGE, "last": 2, "offset": 3}),
    ("err_keyset_page_info_alone", "page_info without first or last",
     {"order_by": AGE, "page_info": True}),
    ("err_keyset_grouped", "a grouped query is not paged",
     {"first": 2, "group_by": ["age"], "select": ["age"]}),
    ("err_keyset_no_primary_key", "v_address declares no primary_key",
     {"view": "v_address", "select": ["id"], "first": 2}),
    ("err_keyset_relation_key", "an order key through a relation",
     {"order_by": [{"field": "manager.age"}], "first": 2}),
    ("err_keyset_reserved_column", "a column named like an added output column",
     {"output": "columns", "select": [{"field": "id", "alias": "__cursor"}], "first": 2}),
    ("err_keyset_cursor_type", "a cursor must be a string",
     {"order_by": AGE, "first": 2, "after": 5}),
]


def write(name, spec):
    with open(os.path.join(CASES, f"keyset_{name}.json" if not name.startswith("err_")
                           else f"{name}.json"), "w") as f:
        json.dump(spec, f, indent=1, ensure_ascii=False)
        f.write("\n")


def main():
    for name, desc, order, extra, cur, want in PAGES:
        q = {"view": "v_user", "select": ["id"], "order_by": order, **extra}
        if cur:
            q[cur[0]] = cursor(q, cur[1])
        spec = {"description": f"keyset: {desc}", "query": q, "expect_ids": [u(n) for n in want]}
        if extra.get("output") == "json_text":
            # The document is text: the whole rows, by hand.
            fp = re.search(r"jsonb_build_array\('([0-9a-f]{16})'", compile_sql(q)).group(1)
            del spec["expect_ids"]
            spec["expect_rows"] = [{"data": json.dumps({"id": u(n)}),
                                    "__cursor": json.dumps([fp, None, u(n)])} for n in want]
        if name == "format_placeholders":
            spec["placeholder"] = "format"
        write(name, spec)
    for name, desc, order, extra, cur, rows, nxt, prev, total in INFO:
        q = {"view": "v_user", "select": ["id"], "order_by": order, **extra}
        if cur:
            q[cur[0]] = cursor(q, cur[1])
        fp = re.search(r"jsonb_build_array\('([0-9a-f]{16})'", compile_sql(q)).group(1)
        expect = []
        for n, vals in rows:
            row = {"data": {"id": u(n)} if n else None,
                   "__cursor": json.dumps([fp] + vals, ensure_ascii=False, separators=(", ", ": ")) if vals else None}
            if nxt is not None:
                row["__has_next_page"] = nxt
                row["__has_previous_page"] = prev
            if total is not None:
                row["__total_count"] = total
            expect.append(row)
        write(name, {"description": f"keyset: {desc}", "query": q, "expect_rows": expect})
    base = {"view": "v_user", "select": ["id"]}
    for name, desc, extra in ERRORS:
        if extra is None:
            if name == "err_keyset_truncated":
                q = {**base, "order_by": AGE, "first": 2}
                q["after"] = cursor(q, ["25", u(3)])[:-4]
            elif name == "err_keyset_other_order":
                q = {**base, "order_by": AGE, "first": 2}
                c = cursor(q, ["25", u(3)])
                q = {**base, "order_by": AGE_DESC, "first": 2, "after": c}
            elif name == "err_keyset_other_view":
                q = {**base, "order_by": [{"field": "created_at"}], "first": 2}
                c = cursor(q, [ts(3), u(3)])
                q = {"view": "v_post", "select": ["id"], "order_by": [{"field": "created_at"}],
                     "first": 2, "after": c}
            elif name == "err_keyset_forged_value":
                q = {**base, "order_by": AGE, "first": 2}
                q["after"] = cursor(q, ["abc", u(3)])
            elif name == "err_keyset_forged_timestamp":
                q = {**base, "order_by": ACTIVE_CREATED, "first": 2}
                q["after"] = cursor(q, ["true", "2024-13-01 00:00:00+00", u(3)])
            elif name == "err_keyset_value_count":
                q = {**base, "order_by": AGE, "first": 2}
                q["after"] = cursor(q, ["25"])
        else:
            q = {**base, **extra}
        write(name, {"description": f"keyset: {desc}", "query": q})


if __name__ == "__main__":
    main()
