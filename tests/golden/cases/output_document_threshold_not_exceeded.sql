SELECT jsonb_build_object('id', t."id", 'name', t."data"->'name', 'email', t."data"->'email') AS "data" FROM "v_user" AS t WHERE (t."id" = $1::uuid)
