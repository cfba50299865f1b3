SELECT jsonb_build_object('id', t."id", 'lucky_numbers', t."data"->'lucky_numbers') AS "data" FROM "v_user" AS t WHERE (t."data"->>'lucky_numbers' IS NULL)
