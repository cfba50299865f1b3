SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_user" AS t WHERE ((t."data"->>'birth_date')::date = ANY($1::date[]))
