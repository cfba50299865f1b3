-- A: correlated subqueries; lists as to_jsonb(ARRAY(SELECT ... ORDER BY ... LIMIT))
PREPARE q(uuid, boolean, bigint, bigint, bigint) AS
SELECT jsonb_build_object('id', t."id", 'title', t."data"->'title',
  'author', (SELECT jsonb_build_object('id', t1."id", 'name', t1."data"->'name')
               FROM "v_user" AS t1 WHERE t1."id" = t."fk_author" AND t1."tenant_id" = t."tenant_id"),
  'comments', to_jsonb(ARRAY(
      SELECT jsonb_build_object('id', t2."id", 'body', t2."data"->'body',
               'author', (SELECT jsonb_build_object('id', t3."id", 'name', t3."data"->'name')
                            FROM "v_user" AS t3 WHERE t3."id" = t2."fk_author" AND t3."tenant_id" = t2."tenant_id"))
        FROM "v_comment" AS t2
       WHERE t2."fk_post" = t."id" AND t2."tenant_id" = t."tenant_id"
         AND ((t2."data"->>'likes')::numeric >= $3)
       ORDER BY t2."created_at" DESC, t2."id" LIMIT $4))) AS "data"
  FROM "v_post" AS t
 WHERE t."tenant_id" = $1 AND ((t."data"->>'published')::boolean = $2)
 ORDER BY (t."data"->>'views')::numeric DESC NULLS LAST, t."id" LIMIT $5;
