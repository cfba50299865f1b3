SELECT jsonb_build_object('id', t."id", 'name', t."data"->'name', 'age', t."data"->'age') AS "data" FROM "v_user" AS t ORDER BY t."id" ASC LIMIT $1::bigint
