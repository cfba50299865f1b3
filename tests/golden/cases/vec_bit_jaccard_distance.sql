SELECT jsonb_build_object('id', t."id", 'name', t."data"->'name') AS "data" FROM "v_user" AS t WHERE (((t."data"->>'bits')::varbit <%> $1::text::varbit) < $2::float8)
