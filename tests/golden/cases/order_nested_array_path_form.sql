SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_user" AS t WHERE (t."tenant_id" = $1::uuid) ORDER BY t."data"->'profile'->>'zip' DESC NULLS LAST, t."id" ASC
