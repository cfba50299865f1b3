SELECT jsonb_build_object('id', t."id", 'tags', t."data"->'tags') AS "data" FROM "v_user" AS t WHERE (jsonb_array_length(NULLIF(t."data"->'tags', 'null'::jsonb)) < $1::bigint)
