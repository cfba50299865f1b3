SELECT jsonb_build_object('id', t."id", 'name', t."data"->'name') AS "data" FROM "v_user" AS t WHERE (t."data"->>'name' < $1::text)
