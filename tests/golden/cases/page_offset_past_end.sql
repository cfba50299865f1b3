SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_comment" AS t ORDER BY t."id" ASC OFFSET $1::bigint
