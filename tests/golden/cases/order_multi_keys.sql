SELECT jsonb_build_object('id', t."id", 'age', t."data"->'age') AS "data" FROM "v_user" AS t ORDER BY t."tenant_id" DESC, (t."data"->>'age')::numeric ASC NULLS FIRST, t."created_at" DESC
