SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_user" AS t WHERE ((t."data"->>'manager_id')::uuid <> $1::uuid)
