SELECT jsonb_build_object('id', t."id", 'mac', t."data"->'mac') AS "data" FROM "v_user" AS t WHERE (t."data"->>'mac' IS NULL)
