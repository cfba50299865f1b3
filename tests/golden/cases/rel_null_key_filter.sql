SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_comment" AS t WHERE EXISTS (SELECT 1 FROM "v_post" AS t1 WHERE t1."id" = t."fk_post" AND (t1."data"->>'title' = $1::text))
