SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_user" AS t WHERE (t."id" = $1::uuid)
