SELECT jsonb_build_object('id', t."id", 'views', t."data"->'views') AS "data" FROM "v_post" AS t WHERE ((t."data"->>'views')::numeric > $1::bigint)
