SELECT jsonb_build_object('id', t."id", 'likes', t."data"->'likes') AS "data" FROM "v_comment" AS t ORDER BY (t."data"->>'likes')::numeric DESC NULLS LAST, t."id" ASC OFFSET $1::bigint
