SELECT jsonb_build_object('id', t."id", 'active', t."data"->'active') AS "data" FROM "v_user" AS t WHERE ((t."data"->>'active')::boolean <> ALL($1::boolean[]))
