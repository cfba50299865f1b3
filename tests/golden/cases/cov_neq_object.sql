SELECT jsonb_build_object('id', t."id", 'profile', t."data"->'profile') AS "data" FROM "v_user" AS t WHERE (NULLIF(t."data"->'profile', 'null'::jsonb) <> $1::text::jsonb)
