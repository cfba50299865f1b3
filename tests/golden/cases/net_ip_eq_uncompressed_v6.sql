SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_user" AS t WHERE ((t."data"->>'ip_address')::inet = ANY($1::text[]::inet[]))
