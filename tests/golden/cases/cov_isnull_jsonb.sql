SELECT jsonb_build_object('id', t."id", 'metadata', t."data"->'metadata') AS "data" FROM "v_user" AS t WHERE (t."data"->>'metadata' IS NULL)
