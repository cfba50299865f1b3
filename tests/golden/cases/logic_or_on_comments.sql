SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_comment" AS t WHERE (((t."data"->>'post_id')::uuid = $1::uuid) OR ((t."data"->>'likes')::numeric > $2::bigint))
