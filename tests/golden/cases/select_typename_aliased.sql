SELECT jsonb_build_object('id', t."id", '__typename', 'Post', 'kind', 'Post', 'title', t."data"->'title') AS "data" FROM "v_post" AS t WHERE (t."id" = ANY($1::uuid[]))
