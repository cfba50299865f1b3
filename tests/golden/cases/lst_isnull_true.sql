SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_order" AS t WHERE (CASE WHEN jsonb_typeof(t."data"->'items') = 'array' THEN t."data"->'items' END IS NULL) ORDER BY t."id" ASC
