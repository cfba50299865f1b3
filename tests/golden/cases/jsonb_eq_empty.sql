SELECT jsonb_build_object('id', t."id", 'metadata', t."data"->'metadata') AS "data" FROM "v_user" AS t WHERE (NULLIF(t."data"->'metadata', 'null'::jsonb) = $1::text::jsonb)
