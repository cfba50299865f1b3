SELECT jsonb_build_object('id', t."id", 'title', t."data"->'title') AS "data" FROM "v_post" AS t WHERE ((t."data"->>'search')::tsvector @@ plainto_tsquery(%s::text::regconfig, %s::text))
