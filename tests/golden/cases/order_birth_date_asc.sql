SELECT jsonb_build_object('id', t."id", 'birth_date', t."data"->'birth_date') AS "data" FROM "v_user" AS t ORDER BY (t."data"->>'birth_date')::date ASC, t."id" ASC LIMIT $1::bigint
