#!/usr/bin/env python3
"""Regenerates the fuzz seed corpora and the dictionary (run from anywhere).

- seeds/query_json/<case>.json: the `query` of every tests/golden/cases/*.json case;
- seeds/schema_json/*.json: the fixture registry, the registry of docs/query-ast.md and
  every inline `schema` of the golden cases;
- seeds/c_api/*: every 8th golden query behind each mode byte of the c_api target (0, 2, 4,
  6: fixture registry, `$n`/`%s`, compile/shim), `1, schema, 0xFF, query` for every case
  with an inline registry, and every GraphQL seed behind mode 8 or 10 (`fqb_graphql_compile`,
  `$n`/`%s`; `document 0xFF variables`);
- seeds/graphql_document/*.graphql: the GraphQL documents of
  crates/qb-testpg/tests/graphql.rs (`document \0 variables` when it has variables) and the
  ```graphql blocks of docs/graphql.md;
- fuzz.dict: every operator name and alias (parsed from crates/qb-core/src/ast/operator.rs),
  every type name (docs/query-ast.md type table), the query/schema keys and enum values,
  and the fixture's view and field names.
"""
import json
import pathlib
import re

FUZZ = pathlib.Path(__file__).resolve().parent.parent
ROOT = FUZZ.parent
CASES = ROOT / "tests/golden/cases"


def case_files():
    for p in sorted(CASES.glob("*.json")):
        if p.name.endswith((".params.json", ".rows.json", ".error.json")):
            continue
        yield p


def write(dirname, name, text):
    d = FUZZ / "seeds" / dirname
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(text)


def c_api_seeds():
    d = FUZZ / "seeds" / "c_api"
    d.mkdir(parents=True, exist_ok=True)
    n = 0
    for i, p in enumerate(case_files()):
        spec = json.loads(p.read_text())
        query = json.dumps(spec.get("query"), ensure_ascii=False).encode()
        if "schema" in spec:
            schema = json.dumps(spec["schema"], ensure_ascii=False).encode()
            (d / f"{p.stem}.split").write_bytes(bytes([1]) + schema + b"\xff" + query)
            n += 1
        elif i % 8 == 0:
            for mode in (0, 2, 4, 6):
                (d / f"{p.stem}.{mode}").write_bytes(bytes([mode]) + query)
                n += 1
    return n


def graphql_seeds():
    """The GraphQL seeds; each also a c_api seed (mode 8, or 10 for every other one)."""
    n = 0
    c_api = FUZZ / "seeds" / "c_api"
    c_api.mkdir(parents=True, exist_ok=True)

    def c_api_seed(name, doc, variables):
        mode = 8 if n % 2 == 0 else 10
        data = doc.encode() + (b"\xff" + variables.encode() if variables else b"")
        (c_api / f"graphql_{name}.{mode}").write_bytes(bytes([mode]) + data)

    src = (ROOT / "crates/qb-testpg/tests/graphql.rs").read_text()
    pattern = r'\(\s*"([a-z0-9_]+)",\s*r#"(.*?)"#,\s*(?:r#"(.*?)"#|"")\s*,?\s*\)'
    for m in re.finditer(pattern, src, re.S):
        name, doc, variables = m.group(1), m.group(2), m.group(3)
        write("graphql_document", f"{name}.graphql", doc + ("\0" + variables if variables else ""))
        c_api_seed(name, doc, variables)
        n += 1
    md = (ROOT / "docs/graphql.md").read_text()
    for i, block in enumerate(re.findall(r"```graphql\n(.*?)```", md, re.S)):
        write("graphql_document", f"docs_{i}.graphql", block)
        c_api_seed(f"docs_{i}", block, None)
        n += 1
    return n


def main():
    print("c_api seeds:", c_api_seeds())
    print("graphql seeds:", graphql_seeds())
    schemas = {}
    n_query = 0
    for p in case_files():
        spec = json.loads(p.read_text())
        if "query" in spec:
            write("query_json", p.name, json.dumps(spec["query"], ensure_ascii=False))
            n_query += 1
        if "schema" in spec:
            text = json.dumps(spec["schema"], ensure_ascii=False)
            schemas[text] = p.stem
    write("schema_json", "fixture.json", (ROOT / "tests/golden/schema.json").read_text())
    docs = (ROOT / "docs/query-ast.md").read_text()
    m = re.search(r"```json registry\n(.*?)```", docs, re.S)
    if m:
        write("schema_json", "docs_registry.json", m.group(1))
    for text, stem in schemas.items():
        write("schema_json", f"case_{stem}.json", text)

    words = set()
    ops = (ROOT / "crates/qb-core/src/ast/operator.rs").read_text()
    for line in ops.splitlines():
        if re.match(r"\s+[A-Z]\w* = \"", line):
            words.update(re.findall(r'"([^"]+)"', line))
    type_words = set()
    for line in docs.splitlines():
        if line.startswith("| `") and "|" in line[1:]:
            cells = line.split("|")
            if len(cells) > 3:
                for cell in cells[1:3]:
                    type_words.update(re.findall(r"`([a-z][a-z0-9 ]*(?:\[\])?)`", cell))
    words |= {t for t in type_words if len(t) < 30}
    words |= {t + "[]" for t in ["text", "integer", "numeric", "uuid", "date", "boolean", "inet"]}
    words |= set("""view select where order_by group_by limit offset output camel_case
        document_threshold field alias aggregate direction nulls and or not AND OR NOT
        json json_text columns asc desc ASC DESC first last FIRST LAST count sum avg min max
        __typename views typename data_column columns fields permissive language type object
        document_threshold
        from to lat lng meters vector threshold query simple english
        fragment on ... @skip @include if: mutation subscription $ some every none isnull
        userList postList commentList postLikeList user post comment orderBy
        ASC_NULLS_FIRST ASC_NULLS_LAST DESC_NULLS_FIRST DESC_NULLS_LAST""".split())
    fixture = json.loads((ROOT / "tests/golden/schema.json").read_text())

    def walk(fields):
        for k, v in fields.items():
            words.add(k)
            if isinstance(v, dict) and "fields" in v:
                walk(v["fields"])

    for key, view in fixture["views"].items():
        words.add(key)
        walk(view.get("fields", {}))
        words.update(view.get("columns", {}))
    lines = ["# Generated by fuzz/scripts/gen-seeds.py: operator, type, key and fixture names."]
    for w in sorted(words):
        lines.append(json.dumps(w))
        lines.append(json.dumps(json.dumps(w)))  # the quoted JSON string form
    (FUZZ / "fuzz.dict").write_text("\n".join(lines) + "\n")
    print(f"{n_query} query seeds, {len(schemas) + 2} schema seeds, {len(words)} dict words")


if __name__ == "__main__":
    main()
