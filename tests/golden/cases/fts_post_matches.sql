SELECT jsonb_build_object('id', t."id", 'title', t."data"->'title') AS "data" FROM "v_post" AS t WHERE ((t."data"->>'search')::tsvector @@ to_tsquery($1::text::regconfig, $2::text))
