//! `ParamType::wire_oid` is the OID PostgreSQL itself gives the wire type's name, for every
//! type, scalar and array (the C binding passes these to libpq's `PQexecParams`).

use qb_core::{ParamType, PgType};

#[test]
fn wire_oids_are_the_servers() {
    let mut client = qb_testpg::client();
    for t in PgType::ALL {
        for ty in [ParamType::Scalar(t), ParamType::Array(t)] {
            let wire = match ty {
                ParamType::Scalar(_) => ParamType::Scalar(t.wire()),
                _ => ParamType::Array(t.wire()),
            };
            let name = wire.sql_name();
            let row = client
                .query_one("SELECT to_regtype($1)::oid", &[&name])
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let oid: u32 = row.get(0);
            assert_eq!(ty.wire_oid(), oid, "{ty:?} travels as {name}");
        }
    }
}
