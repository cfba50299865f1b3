SELECT jsonb_build_object('id', t."id", 'age', t."data"->'age') AS "data" FROM "v_user" AS t WHERE (((t."data"->>'age')::numeric >= $1::bigint) AND ((t."data"->>'age')::numeric < $2::bigint))
