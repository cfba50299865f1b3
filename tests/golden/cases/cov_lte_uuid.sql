SELECT jsonb_build_object('id', t."id", 'manager_id', t."data"->'manager_id') AS "data" FROM "v_user" AS t WHERE ((t."data"->>'manager_id')::uuid <= %s::uuid)
