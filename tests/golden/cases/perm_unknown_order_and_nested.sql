SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_comment" AS t WHERE (t."data"->'extra'->>'deep' IS NULL) ORDER BY t."data"->>'mood' ASC, t."id" ASC LIMIT $1::bigint
