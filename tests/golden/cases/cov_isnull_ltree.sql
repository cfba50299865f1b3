SELECT jsonb_build_object('id', t."id", 'category_path', t."data"->'category_path') AS "data" FROM "v_user" AS t WHERE (t."data"->>'category_path' IS NOT NULL)
