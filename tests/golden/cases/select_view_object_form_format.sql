SELECT jsonb_build_object('id', t."id", 'name', t."data"->'name') AS "data" FROM "app"."v_user" AS t WHERE (t."data"->>'email' LIKE %s::text)
