SELECT count(DISTINCT (t."data"->>'author_id')::uuid) AS "authors", count(*) AS "comments" FROM "v_comment" AS t WHERE ((t."data"->>'likes')::numeric >= $1::bigint)
