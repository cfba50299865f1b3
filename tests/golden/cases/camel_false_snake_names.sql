SELECT jsonb_build_object('id', t."id", 'nick_name', t."data"->'nick_name', 'created_at', t."created_at") AS "data" FROM "v_user" AS t WHERE (t."data"->>'nick_name' = $1::text)
