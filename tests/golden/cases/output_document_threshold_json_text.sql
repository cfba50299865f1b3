SELECT t."data"::text AS "data" FROM "v_post" AS t WHERE (t."id" = $1::uuid)
