SELECT jsonb_build_object('id', t."id", 'thread_path', t."data"->'thread_path') AS "data" FROM "v_comment" AS t WHERE (nlevel((t."data"->>'thread_path')::ltree) = $1::bigint)
