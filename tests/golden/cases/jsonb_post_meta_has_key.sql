SELECT jsonb_build_object('id', t."id", 'meta', t."data"->'meta') AS "data" FROM "v_post" AS t WHERE (NULLIF(t."data"->'meta', 'null'::jsonb) ? $1::text)
