"""The shared workloads (tests/bench/workloads.json) built with what Python users pick instead
of fraiseql_qb: SQLAlchemy Core (PostgreSQL dialect, JSONB column ops) and PyPika.

Each builder constructs the statement from scratch on every call (as an application does per
request) and returns ``(sql, params)``. Names and types are resolved by hand (neither library
has a registry). ``show()`` prints what each produces; differences from fraiseql_qb's SQL are
spelling, plus the ones listed in docs/performance.md ("What the peers build").
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

import pypika
import sqlalchemy as sa
from pypika import functions as pfn
from pypika.enums import Comparator
from pypika.terms import BasicCriterion, Parameter, ValueWrapper
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB

# -- SQLAlchemy Core ------------------------------------------------------------------------

_sa_user = sa.table(
    "v_user",
    sa.column("id"),
    sa.column("data", JSONB),
    sa.column("created_at"),
)
_DIALECT = postgresql.dialect()  # psycopg2-style pyformat; the SQL shape is what matters
_CACHE: Dict[Any, Any] = {}

W_FIELDS: List[Tuple[str, str]] = [
    ("id", ""), ("name", "name"), ("email", "email"), ("nickName", "nick_name"),
    ("bio", "bio"), ("age", "age"), ("score", "score"), ("active", "active"),
    ("managerId", "manager_id"), ("birthDate", "birth_date"), ("lastLogin", "last_login"),
    ("ipAddress", "ip_address"), ("network", "network"), ("mac", "mac"),
    ("categoryPath", "category_path"), ("vacation", "vacation"), ("tags", "tags"),
    ("luckyNumbers", "lucky_numbers"), ("metadata", "metadata"), ("location", "location"),
]
W_KEYS = [(k + s, j) for s in ("", "1", "2") for k, j in W_FIELDS]
M_FIELDS = [("name", "name"), ("email", "email"), ("nickName", "nick_name"), ("age", "age"),
            ("score", "score"), ("active", "active"), ("birthDate", "birth_date"),
            ("lastLogin", "last_login")]
PRIVATE = "{10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,127.0.0.0/8,169.254.0.0/16,fc00::/7,fe80::/10}"


def _sa_key(k: str) -> Any:
    return sa.literal_column(f"'{k}'")


def sa_statement(name: str) -> Any:
    t = _sa_user.alias("t")
    data = t.c.data
    obj = sa.func.jsonb_build_object
    if name == "S":
        sel = obj(_sa_key("id"), t.c.id, _sa_key("name"), data["name"],
                  _sa_key("email"), data["email"])
        return sa.select(sel.label("data")).select_from(t)
    if name == "M":
        args: List[Any] = [_sa_key("id"), t.c.id, _sa_key("__typename"), _sa_key("User")]
        for k, j in M_FIELDS:
            args += [_sa_key(k), data[j]]
        return (
            sa.select(obj(*args).label("data")).select_from(t)
            .where(data["email"].astext == sa.cast(sa.literal("alice@example.com"), sa.Text))
            .where(sa.cast(data["score"].astext, sa.Numeric)
                   >= sa.cast(sa.literal(10.5), sa.Numeric))
            .where(data[("profile", "city")].astext
                   == sa.any_(sa.cast(sa.literal(["Paris", "Berlin", "Tokyo"]),
                                      postgresql.ARRAY(sa.Text))))
            .order_by(sa.cast(data["age"].astext, sa.Numeric).desc().nulls_last(),
                      t.c.created_at.asc())
            .limit(20)
        )
    if name == "C":
        city = data[("profile", "city")].astext
        inet = sa.cast(data["ip_address"].astext, postgresql.INET)
        return (
            sa.select(obj(
                _sa_key("profile"), obj(_sa_key("city"), sa.func.to_jsonb(city)),
                _sa_key("users"), sa.func.count(),
                _sa_key("avgAge"), sa.func.avg(sa.cast(data["age"].astext, sa.Numeric)),
            ).label("data")).select_from(t)
            .where(sa.and_(
                sa.or_(data["name"].astext.like(sa.cast(sa.literal("A%"), sa.Text)),
                       data["email"].astext.ilike(sa.cast(sa.literal("%@example.com"), sa.Text))),
                sa.not_(data["manager_id"].astext.is_(None)),
                sa.cast(data["age"].astext, sa.Numeric)
                == sa.any_(sa.cast(sa.literal([25, 30, 41]), postgresql.ARRAY(sa.BigInteger))),
                data[("profile", "address", "street")].astext.ilike(
                    sa.cast(sa.literal("rue%"), sa.Text)),
                sa.or_(inet.op("<<=")(sa.cast(sa.cast(sa.literal("10.0.0.0/8"), sa.Text),
                                              postgresql.CIDR)),
                       inet.op("<<=")(sa.any_(sa.cast(sa.literal_column(f"'{PRIVATE}'"),
                                                      postgresql.ARRAY(postgresql.INET))))),
                sa.cast(data["category_path"].astext, _Ltree()).op("<@")(
                    sa.cast(sa.cast(sa.literal("top.science"), sa.Text), _Ltree())),
                sa.cast(data["active"].astext, sa.Boolean) == sa.cast(sa.literal(True), sa.Boolean),
            ))
            .group_by(city)
            .order_by(sa.func.count().desc(), city.asc())
        )
    if name == "W":
        def pairs(keys: List[Tuple[str, str]]) -> List[Any]:
            out: List[Any] = []
            for k, j in keys:
                out += [_sa_key(k), t.c.id if not j else data[j]]
            return out
        sel = obj(*pairs(W_KEYS[:50])).op("||")(obj(*pairs(W_KEYS[50:])))
        return sa.select(sel.label("data")).select_from(t)
    raise KeyError(name)


class _Ltree(sa.types.UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "ltree"


def sqlalchemy_cached(name: str) -> Tuple[str, Any]:
    """Build, then compile through SQLAlchemy's compiled cache (warm after the first call),
    as ``Connection.execute`` does: cache key, lookup, parameters extracted for this call."""
    stmt = sa_statement(name)
    compiled, extracted, _, _ = stmt._compile_w_cache(
        _DIALECT, compiled_cache=_CACHE, column_keys=[]
    )
    return compiled.string, compiled.construct_params(extracted_parameters=extracted)


def sqlalchemy_compile(name: str) -> Tuple[str, Any]:
    """Build, then ``stmt.compile(dialect=postgresql.dialect())`` (no cache)."""
    compiled = sa_statement(name).compile(dialect=_DIALECT)
    return compiled.string, compiled.params


# -- PyPika ---------------------------------------------------------------------------------


class _PgOp(Comparator):
    inet_contained = "<<="
    contained = "<@"


def _pk(k: str) -> Any:
    return ValueWrapper(k)


def _param(n: int, ty: str) -> Any:
    return pfn.Cast(Parameter(f"${n}"), ty)


def pypika_build(name: str) -> Tuple[str, List[Any]]:
    t = pypika.Table("v_user").as_("t")
    data = t.data
    obj = lambda *a: pfn.Function("jsonb_build_object", *a)  # noqa: E731
    q = pypika.PostgreSQLQuery.from_(t)
    if name == "S":
        return q.select(obj(_pk("id"), t.id, _pk("name"), data.get_json_value("name"),
                            _pk("email"), data.get_json_value("email")).as_("data")).get_sql(), []
    if name == "M":
        args: List[Any] = [_pk("id"), t.id, _pk("__typename"), _pk("User")]
        for k, j in M_FIELDS:
            args += [_pk(k), data.get_json_value(j)]
        q = (q.select(obj(*args).as_("data"))
             .where(data.get_text_value("email") == _param(1, "text"))
             .where(pfn.Cast(data.get_text_value("score"), "numeric") >= _param(2, "numeric"))
             .where(data.get_path_text_value("{profile,city}")
                    == pfn.Function("ANY", _param(3, "text[]")))
             .orderby(pfn.Cast(data.get_text_value("age"), "numeric"), order=pypika.Order.desc)
             .orderby(t.created_at, order=pypika.Order.asc)
             .limit(Parameter("$4")))
        return q.get_sql(), ["alice@example.com", 10.5, ["Paris", "Berlin", "Tokyo"], 20]
    if name == "C":
        city = data.get_path_text_value("{profile,city}")
        inet = pfn.Cast(data.get_text_value("ip_address"), "inet")
        cond = (
            ((data.get_text_value("name").like(_param(1, "text")))
             | (data.get_text_value("email").ilike(_param(2, "text"))))
            & data.get_text_value("manager_id").isnull().negate()
            & (pfn.Cast(data.get_text_value("age"), "numeric")
               == pfn.Function("ANY", _param(3, "bigint[]")))
            & data.get_path_text_value("{profile,address,street}").ilike(_param(4, "text"))
            & (BasicCriterion(_PgOp.inet_contained, inet, pfn.Cast(_param(5, "text"), "cidr"))
               | BasicCriterion(_PgOp.inet_contained, inet, pfn.Function(
                   "ANY", pfn.Cast(ValueWrapper(PRIVATE), "inet[]"))))
            & BasicCriterion(_PgOp.contained,
                             pfn.Cast(data.get_text_value("category_path"), "ltree"),
                             pfn.Cast(_param(6, "text"), "ltree"))
            & (pfn.Cast(data.get_text_value("active"), "boolean") == _param(7, "boolean"))
        )
        q = (q.select(obj(_pk("profile"), obj(_pk("city"), pfn.Function("to_jsonb", city)),
                          _pk("users"), pfn.Count("*"),
                          _pk("avgAge"), pfn.Avg(pfn.Cast(data.get_text_value("age"), "numeric"))
                          ).as_("data"))
             .where(cond).groupby(city)
             .orderby(pfn.Count("*"), order=pypika.Order.desc)
             .orderby(city, order=pypika.Order.asc))
        return q.get_sql(), ["A%", "%@example.com", [25, 30, 41], "rue%", "10.0.0.0/8",
                             "top.science", True]
    if name == "W":
        def pairs(keys: List[Tuple[str, str]]) -> List[Any]:
            out: List[Any] = []
            for k, j in keys:
                out += [_pk(k), t.id if not j else data.get_json_value(j)]
            return out
        # PyPika has no jsonb `||`: jsonb_concat() is the same operator as a function.
        sel = pfn.Function("jsonb_concat", obj(*pairs(W_KEYS[:50])), obj(*pairs(W_KEYS[50:])))
        return q.select(sel.as_("data")).get_sql(), []
    raise KeyError(name)


BUILDERS: Dict[str, Callable[[str], Tuple[str, Any]]] = {
    "sqlalchemy": sqlalchemy_cached,
    "sqlalchemy_compile": sqlalchemy_compile,
    "pypika": pypika_build,
}


def show() -> None:
    for name in ("S", "M", "C", "W"):
        for b, f in BUILDERS.items():
            sql, params = f(name)
            print(f"-- {name} {b}\n{sql}\n--   {params}\n")


if __name__ == "__main__":
    show()
