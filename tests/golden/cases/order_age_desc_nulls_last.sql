SELECT jsonb_build_object('id', t."id", 'age', t."data"->'age') AS "data" FROM "v_user" AS t ORDER BY (t."data"->>'age')::numeric DESC NULLS LAST, t."id" ASC
