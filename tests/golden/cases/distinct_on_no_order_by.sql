SELECT DISTINCT ON (t."data"->'profile'->>'city') jsonb_build_object('city', t."data"->'profile'->'city') AS "data" FROM "v_user" AS t ORDER BY t."data"->'profile'->>'city' ASC
