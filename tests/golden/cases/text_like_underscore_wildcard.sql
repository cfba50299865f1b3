SELECT jsonb_build_object('id', t."id", 'nick_name', t."data"->'nick_name') AS "data" FROM "v_user" AS t WHERE (t."data"->>'nick_name' LIKE $1::text)
