SELECT jsonb_build_object('id', t."id", 'name', t."data"->'name', 'score', t."data"->'score')::text AS "data" FROM "v_user" AS t WHERE (t."id" = $1::uuid)
