SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_comment" AS t WHERE ((t."data"->>'likes')::numeric < $1::bigint)
