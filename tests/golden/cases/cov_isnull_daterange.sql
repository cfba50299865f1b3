SELECT jsonb_build_object('id', t."id", 'vacation', t."data"->'vacation') AS "data" FROM "v_user" AS t WHERE (t."data"->>'vacation' IS NULL)
