SELECT jsonb_build_object('metas', count(DISTINCT NULLIF(t."data"->'meta', 'null'::jsonb))) AS "data" FROM "v_post" AS t
