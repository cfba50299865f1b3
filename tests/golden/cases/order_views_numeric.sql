SELECT jsonb_build_object('id', t."id", 'views', t."data"->'views') AS "data" FROM "v_post" AS t ORDER BY (t."data"->>'views')::numeric ASC, t."id" ASC
