SELECT jsonb_build_object('id', t."id", 'published', t."data"->'published') AS "data" FROM "v_post" AS t WHERE (t."data"->>'published' IS NOT NULL)
