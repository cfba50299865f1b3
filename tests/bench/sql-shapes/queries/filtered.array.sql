-- A and B: every relation filter is a correlated EXISTS (two-valued)
PREPARE q(uuid, text, bigint, bigint) AS
SELECT jsonb_build_object('id', t."id", 'title', t."data"->'title',
  'author', (SELECT jsonb_build_object('id', t1."id", 'name', t1."data"->'name')
               FROM "v_user" AS t1 WHERE t1."id" = t."fk_author" AND t1."tenant_id" = t."tenant_id")) AS "data"
  FROM "v_post" AS t
 WHERE t."tenant_id" = $1
   AND EXISTS (SELECT 1 FROM "v_user" AS t2 WHERE t2."id" = t."fk_author" AND t2."tenant_id" = t."tenant_id"
                  AND (t2."data"->'profile'->>'city' = $2))
   AND EXISTS (SELECT 1 FROM "v_comment" AS t3 WHERE t3."fk_post" = t."id" AND t3."tenant_id" = t."tenant_id"
                  AND ((t3."data"->>'likes')::numeric >= $3))
 ORDER BY t."created_at" DESC, t."id" LIMIT $4;
