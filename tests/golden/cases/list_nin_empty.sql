SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_post" AS t WHERE ((t."data"->>'views')::numeric <> ALL($1::bigint[]))
