SELECT jsonb_build_object('published', t."data"->'published') AS "data" FROM "v_post" AS t WHERE (t."tenant_id" = $1::uuid)
