PREPARE q(uuid, bigint, bigint) AS
SELECT jsonb_build_object('id', t."id", 'name', t."data"->'name', 'posts', coalesce(p.o, '[]'::jsonb)) AS "data"
  FROM "v_user" AS t
  LEFT JOIN LATERAL (SELECT jsonb_agg(s1.o ORDER BY s1.k1 DESC, s1.k2) AS o FROM (
    SELECT jsonb_build_object('id', t1."id", 'title', t1."data"->'title', 'comments', coalesce(c.o, '[]'::jsonb)) AS o,
           t1."created_at" AS k1, t1."id" AS k2
      FROM "v_post" AS t1
      LEFT JOIN LATERAL (SELECT jsonb_agg(s2.o ORDER BY s2.k1 DESC, s2.k2) AS o FROM (
        SELECT jsonb_build_object('id', t2."id", 'body', t2."data"->'body', 'author', a.o) AS o,
               t2."created_at" AS k1, t2."id" AS k2
          FROM "v_comment" AS t2
          LEFT JOIN LATERAL (SELECT jsonb_build_object('id', t3."id", 'name', t3."data"->'name') AS o
                               FROM "v_user" AS t3 WHERE t3."id" = t2."fk_author" AND t3."tenant_id" = t2."tenant_id") AS a ON TRUE
         WHERE t2."fk_post" = t1."id" AND t2."tenant_id" = t1."tenant_id"
         ORDER BY t2."created_at" DESC, t2."id" LIMIT $3) AS s2) AS c ON TRUE
     WHERE t1."fk_author" = t."id" AND t1."tenant_id" = t."tenant_id"
     ORDER BY t1."created_at" DESC, t1."id" LIMIT $3) AS s1) AS p ON TRUE
 WHERE t."tenant_id" = $1
 ORDER BY t."created_at", t."id" LIMIT $2;
