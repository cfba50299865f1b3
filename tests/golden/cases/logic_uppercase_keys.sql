SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_user" AS t WHERE ((t."data"->>'name' = $1::text) OR ((t."data"->>'name' = $2::text) AND NOT (((t."data"->>'age')::numeric > $3::bigint))))
