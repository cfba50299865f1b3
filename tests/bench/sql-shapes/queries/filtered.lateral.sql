-- C: the many-to-one filter on the joined row, the one-to-many one as EXISTS
PREPARE q(uuid, text, bigint, bigint) AS
SELECT jsonb_build_object('id', t."id", 'title', t."data"->'title',
                          'author', jsonb_build_object('id', a."id", 'name', a."data"->'name')) AS "data"
  FROM "v_post" AS t
  JOIN "v_user" AS a ON a."id" = t."fk_author" AND a."tenant_id" = t."tenant_id"
 WHERE t."tenant_id" = $1
   AND (a."data"->'profile'->>'city' = $2)
   AND EXISTS (SELECT 1 FROM "v_comment" AS t3 WHERE t3."fk_post" = t."id" AND t3."tenant_id" = t."tenant_id"
                  AND ((t3."data"->>'likes')::numeric >= $3))
 ORDER BY t."created_at" DESC, t."id" LIMIT $4;
