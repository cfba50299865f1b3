SELECT jsonb_build_object('id', t."id", 'score', t."data"->'score') AS "data" FROM "v_user" AS t ORDER BY (t."data"->>'score')::numeric DESC NULLS FIRST, t."id" ASC
