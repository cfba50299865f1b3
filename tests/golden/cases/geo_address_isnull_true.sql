SELECT jsonb_build_object('id', t."id", 'location', t."data"->'location') AS "data" FROM "v_user" AS t WHERE (t."data"->'profile'->'address'->>'geo' IS NULL)
