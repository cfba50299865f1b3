SELECT jsonb_build_object('id', t."id", 'name', t."data"->'name') AS "data" FROM "v_user" AS t WHERE ((t."data"->>'search')::tsvector @@ plainto_tsquery($1::text::regconfig, $2::text))
