SELECT jsonb_build_object('id', t."id", 'score', t."data"->'score') AS "data" FROM "v_user" AS t WHERE (t."data"->>'score' IS NOT NULL)
