SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_user" AS t WHERE EXISTS (SELECT 1 FROM "v_post" AS t1 WHERE t1."fk_author" = t."id" AND t1."tenant_id" = t."tenant_id")
