//! The shared workloads built with sea-query 1.x (`PostgresQueryBuilder`), as a user of that
//! library would write them: field names and types resolved by hand (sea-query has no
//! registry), values as parameters, output keys as constants.
//!
//! Expression API throughout (`Expr::col`, `get_json_field` / `cast_json_field` for `->` /
//! `->>`, `cast_as`, `PgFunc::any`, `PgBinOper::{ILike, Contained, Concatenate}`,
//! `Func::count` / `Func::avg`, `Cond`). Custom pieces, because sea-query has no construct:
//! `Func::cust("jsonb_build_object")` and `Func::cust("to_jsonb")` (function calls sea-query
//! does not name) and `BinOper::Custom("<<=")` (inet containment).
//!
//! How the text differs from qb-core's, all of it spelling (PostgreSQL parses both into the
//! same tree, checked by tests/same_sql.rs through libpg_query's deparser):
//! - identifiers are always quoted (`"t"."data"` vs `t."data"`);
//! - casts are `CAST(x AS numeric)` instead of `(x)::numeric`; parentheses differ;
//! - `count(*)` / `avg` are upper case (`COUNT(*)`, `AVG`).
//!
//! One difference in meaning, documented and normalised by the test: sea-query's `LIMIT`
//! takes a bare parameter (`LIMIT $4`), where qb-core types it (`LIMIT $4::bigint`); there is
//! no typed-limit construct. The value is the same integer (20).

use sea_query::extension::postgres::{PgBinOper, PgExpr, PgFunc};
use sea_query::{
    Alias, Asterisk, BinOper, Cond, Expr, ExprTrait, Func, NullOrdering, Order,
    PostgresQueryBuilder, Query, SelectStatement, Value, Values,
};

/// `t."<column>"` (a real column of the view).
fn col(c: &'static str) -> Expr {
    Expr::col((Alias::new("t"), Alias::new(c)))
}

/// `t."data"`.
fn data() -> Expr {
    col("data")
}

/// A string constant written inline (`'key'`): output keys and JSON path keys.
fn lit(s: &'static str) -> Expr {
    Expr::Constant(Value::from(s))
}

/// `t."data"->'k1'->...->'kn'` (jsonb).
fn json(path: &[&'static str]) -> Expr {
    path.iter().fold(data(), |e, k| e.get_json_field(lit(k)))
}

/// `t."data"->'k1'->...->>'kn'` (text).
fn json_text(path: &[&'static str]) -> Expr {
    let (last, init) = path.split_last().expect("a non-empty path");
    json(init).cast_json_field(lit(last))
}

/// A parameter with its type: `CAST($n AS <ty>)`.
fn param<V: Into<Value>>(v: V, ty: &'static str) -> Expr {
    Expr::val(v).cast_as(Alias::new(ty))
}

/// `jsonb_build_object('k', v, ...)`.
fn build_object(pairs: Vec<Expr>) -> Expr {
    Func::cust(Alias::new("jsonb_build_object"))
        .args(pairs)
        .into()
}

/// (output key, JSON key or None for the `id` column) of W's 20 distinct fields.
const W_FIELDS: [(&str, &str); 20] = [
    ("id", ""),
    ("name", "name"),
    ("email", "email"),
    ("nickName", "nick_name"),
    ("bio", "bio"),
    ("age", "age"),
    ("score", "score"),
    ("active", "active"),
    ("managerId", "manager_id"),
    ("birthDate", "birth_date"),
    ("lastLogin", "last_login"),
    ("ipAddress", "ip_address"),
    ("network", "network"),
    ("mac", "mac"),
    ("categoryPath", "category_path"),
    ("vacation", "vacation"),
    ("tags", "tags"),
    ("luckyNumbers", "lucky_numbers"),
    ("metadata", "metadata"),
    ("location", "location"),
];

/// W's 60 output keys, computed once (a sea-query user would hold them as constants too).
fn w_keys() -> &'static [(String, &'static str)] {
    static KEYS: std::sync::OnceLock<Vec<(String, &'static str)>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        ["", "1", "2"]
            .iter()
            .flat_map(|suffix| {
                W_FIELDS
                    .iter()
                    .map(move |(k, j)| (format!("{k}{suffix}"), *j))
            })
            .collect()
    })
}

fn base() -> SelectStatement {
    let mut q = Query::select();
    q.from_as(Alias::new("v_user"), Alias::new("t"));
    q
}

/// The statement of workload `name` (S, M, C, W).
pub fn statement(name: &str) -> SelectStatement {
    match name {
        "S" => {
            let mut q = base();
            q.expr_as(
                build_object(vec![
                    lit("id"),
                    col("id"),
                    lit("name"),
                    json(&["name"]),
                    lit("email"),
                    json(&["email"]),
                ]),
                Alias::new("data"),
            );
            q
        }
        "M" => {
            let fields: [(&'static str, Option<&'static str>); 8] = [
                ("name", Some("name")),
                ("email", Some("email")),
                ("nickName", Some("nick_name")),
                ("age", Some("age")),
                ("score", Some("score")),
                ("active", Some("active")),
                ("birthDate", Some("birth_date")),
                ("lastLogin", Some("last_login")),
            ];
            let mut args = Vec::with_capacity(20);
            args.extend([lit("id"), col("id"), lit("__typename"), lit("User")]);
            for (k, j) in fields {
                args.push(lit(k));
                args.push(json(&[j.expect("json key")]));
            }
            let mut q = base();
            q.expr_as(build_object(args), Alias::new("data"))
                .and_where(json_text(&["email"]).eq(param("alice@example.com", "text")))
                .and_where(
                    json_text(&["score"])
                        .cast_as(Alias::new("numeric"))
                        .gte(param(10.5f64, "numeric")),
                )
                .and_where(json_text(&["profile", "city"]).eq(PgFunc::any(param(
                    ["Paris", "Berlin", "Tokyo"].map(String::from).to_vec(),
                    "text[]",
                ))))
                .order_by_expr_with_nulls(
                    json_text(&["age"]).cast_as(Alias::new("numeric")),
                    Order::Desc,
                    NullOrdering::Last,
                )
                .order_by_expr(col("created_at"), Order::Asc)
                .limit(20);
            q
        }
        "C" => {
            let city = || json_text(&["profile", "city"]);
            let inet = || json_text(&["ip_address"]).cast_as(Alias::new("inet"));
            let mut q = base();
            q.expr_as(
                build_object(vec![
                    lit("profile"),
                    build_object(vec![
                        lit("city"),
                        Func::cust(Alias::new("to_jsonb")).arg(city()).into(),
                    ]),
                    lit("users"),
                    Func::count(Expr::col(Asterisk)).into(),
                    lit("avgAge"),
                    Func::avg(json_text(&["age"]).cast_as(Alias::new("numeric"))).into(),
                ]),
                Alias::new("data"),
            )
            .cond_where(
                Cond::all()
                    .add(
                        Cond::any()
                            .add(json_text(&["name"]).binary(BinOper::Like, param("A%", "text")))
                            .add(
                                json_text(&["email"])
                                    .binary(PgBinOper::ILike, param("%@example.com", "text")),
                            ),
                    )
                    .add(json_text(&["manager_id"]).is_null().not())
                    .add(
                        json_text(&["age"])
                            .cast_as(Alias::new("numeric"))
                            .eq(PgFunc::any(param(vec![25i64, 30, 41], "bigint[]"))),
                    )
                    .add(
                        json_text(&["profile", "address", "street"])
                            .binary(PgBinOper::ILike, param("rue%", "text")),
                    )
                    .add(
                        Cond::any()
                            .add(inet().binary(
                                BinOper::Custom("<<="),
                                param("10.0.0.0/8", "text").cast_as(Alias::new("cidr")),
                            ))
                            .add(
                                inet().binary(
                                    BinOper::Custom("<<="),
                                    PgFunc::any(
                                        lit("{10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,127.0.0.0/8,169.254.0.0/16,fc00::/7,fe80::/10}")
                                            .cast_as(Alias::new("inet[]")),
                                    ),
                                ),
                            ),
                    )
                    .add(
                        json_text(&["category_path"])
                            .cast_as(Alias::new("ltree"))
                            .binary(
                                PgBinOper::Contained,
                                param("top.science", "text").cast_as(Alias::new("ltree")),
                            ),
                    )
                    .add(
                        json_text(&["active"])
                            .cast_as(Alias::new("boolean"))
                            .eq(param(true, "boolean")),
                    ),
            )
            .add_group_by([city()])
            .order_by_expr(Func::count(Expr::col(Asterisk)).into(), Order::Desc)
            .order_by_expr(city(), Order::Asc);
            q
        }
        "W" => {
            // jsonb_build_object takes at most 100 arguments: 50 pairs, then `||` the rest.
            let pair = |(k, j): &(String, &'static str)| {
                [
                    Expr::Constant(Value::from(k.as_str())),
                    if j.is_empty() { col("id") } else { json(&[j]) },
                ]
            };
            let keys = w_keys();
            let first: Vec<Expr> = keys[..50].iter().flat_map(pair).collect();
            let rest: Vec<Expr> = keys[50..].iter().flat_map(pair).collect();
            let mut q = base();
            q.expr_as(
                build_object(first).binary(PgBinOper::Concatenate, build_object(rest)),
                Alias::new("data"),
            );
            q
        }
        other => panic!("no sea-query statement for workload {other}"),
    }
}

/// Builds the statement of workload `name` and renders it: what a sea-query user pays per query.
pub fn build(name: &str) -> (String, Values) {
    statement(name).build(PostgresQueryBuilder)
}
