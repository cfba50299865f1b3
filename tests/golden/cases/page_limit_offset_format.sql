SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_post" AS t ORDER BY t."created_at" ASC LIMIT %s::bigint OFFSET %s::bigint
