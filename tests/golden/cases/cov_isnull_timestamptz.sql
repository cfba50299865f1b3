SELECT jsonb_build_object('id', t."id", 'last_login', t."data"->'last_login') AS "data" FROM "v_user" AS t WHERE (t."data"->>'last_login' IS NULL)
