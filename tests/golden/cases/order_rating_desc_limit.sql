SELECT jsonb_build_object('id', t."id", 'rating', t."data"->'rating') AS "data" FROM "v_post" AS t ORDER BY (t."data"->>'rating')::numeric DESC NULLS LAST, t."id" ASC LIMIT $1::bigint
