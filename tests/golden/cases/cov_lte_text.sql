SELECT jsonb_build_object('id', t."id", 'email', t."data"->'email') AS "data" FROM "v_user" AS t WHERE (t."data"->>'email' <= $1::text)
