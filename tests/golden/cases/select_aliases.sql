SELECT jsonb_build_object('fullName', t."data"->'name', 'displayName', t."data"->'name', 'id', t."id") AS "data" FROM "v_user" AS t WHERE (t."id" = $1::uuid)
