SELECT jsonb_build_object('id', t."id", 'embedding', t."data"->'embedding') AS "data" FROM "v_user" AS t WHERE (((t."data"->>'embedding')::vector <=> $1::text::vector) < $2::float8)
