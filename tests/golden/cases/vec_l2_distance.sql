SELECT jsonb_build_object('id', t."id", 'embedding', t."data"->'embedding') AS "data" FROM "v_user" AS t WHERE (((t."data"->>'embedding')::vector <-> %s::text::vector) < %s::float8)
