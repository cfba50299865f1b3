-- C: LEFT JOIN LATERAL for every relation, the object built from the joined rows
PREPARE q(uuid, bigint) AS
SELECT jsonb_build_object('id', t."id", 'title', t."data"->'title', 'author', a.o,
                          'comments', coalesce(c.o, '[]'::jsonb)) AS "data"
  FROM "v_post" AS t
  LEFT JOIN LATERAL (SELECT jsonb_build_object('id', t1."id", 'name', t1."data"->'name') AS o
                       FROM "v_user" AS t1 WHERE t1."id" = t."fk_author" AND t1."tenant_id" = t."tenant_id") AS a ON TRUE
  LEFT JOIN LATERAL (SELECT jsonb_agg(s.o ORDER BY s.k1 DESC, s.k2) AS o FROM (
      SELECT jsonb_build_object('id', t2."id", 'body', t2."data"->'body', 'author', ca.o) AS o,
             t2."created_at" AS k1, t2."id" AS k2
        FROM "v_comment" AS t2
        LEFT JOIN LATERAL (SELECT jsonb_build_object('id', t3."id", 'name', t3."data"->'name') AS o
                             FROM "v_user" AS t3 WHERE t3."id" = t2."fk_author" AND t3."tenant_id" = t2."tenant_id") AS ca ON TRUE
       WHERE t2."fk_post" = t."id" AND t2."tenant_id" = t."tenant_id"
         
       ORDER BY t2."created_at" DESC, t2."id" LIMIT $2) AS s) AS c ON TRUE
 WHERE t."id" = $1;
