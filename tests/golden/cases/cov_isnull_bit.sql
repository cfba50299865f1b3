SELECT jsonb_build_object('id', t."id", 'bits', t."data"->'bits') AS "data" FROM "v_user" AS t WHERE (t."data"->>'bits' IS NULL)
