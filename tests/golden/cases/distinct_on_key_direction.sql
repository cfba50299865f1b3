SELECT DISTINCT ON (t."tenant_id") jsonb_build_object('id', t."id", 'tenant_id', t."tenant_id") AS "data" FROM "v_post" AS t ORDER BY t."tenant_id" DESC, t."created_at" DESC
