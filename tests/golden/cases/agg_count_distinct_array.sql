SELECT jsonb_build_object('tagSets', count(DISTINCT NULLIF(t."data"->'tags', 'null'::jsonb))) AS "data" FROM "v_post" AS t
