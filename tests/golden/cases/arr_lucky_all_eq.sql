SELECT jsonb_build_object('id', t."id", 'lucky_numbers', t."data"->'lucky_numbers') AS "data" FROM "v_user" AS t WHERE (NULLIF(t."data"->'lucky_numbers', 'null'::jsonb) <@ $1::text::jsonb)
