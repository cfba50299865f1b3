SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_post" AS t WHERE NOT EXISTS (SELECT 1 FROM "v_comment" AS t1 WHERE t1."fk_post" = t."id" AND (((t1."data"->>'likes')::numeric > $1::bigint)))
