SELECT jsonb_build_object('id', t."id", 'created_at', t."created_at") AS "data" FROM "v_user" AS t WHERE (t."created_at" <> %s::timestamptz)
