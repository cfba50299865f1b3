SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_post" AS t WHERE EXISTS (SELECT 1 FROM "v_user" AS t1 WHERE t1."id" = t."fk_author" AND t1."tenant_id" = t."tenant_id")
