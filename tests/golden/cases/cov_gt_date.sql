SELECT jsonb_build_object('id', t."id", 'birth_date', t."data"->'birth_date') AS "data" FROM "v_user" AS t WHERE ((t."data"->>'birth_date')::date > %s::date)
