SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_user" AS t WHERE NOT ((t."data"->'profile'->>'city' = $1::text))
