SELECT jsonb_build_object('id', t."id", 'search', t."data"->'search') AS "data" FROM "v_user" AS t WHERE (t."data"->>'search' IS NULL)
