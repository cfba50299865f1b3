SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_user" AS t ORDER BY t."created_at" DESC LIMIT %s::bigint
