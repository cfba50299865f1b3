SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_user" AS t WHERE NOT ((((t."data"->>'age')::numeric < $1::bigint) OR (t."data"->'profile'->>'city' = $2::text)))
