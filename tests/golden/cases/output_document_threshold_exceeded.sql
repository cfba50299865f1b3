SELECT t."data" AS "data" FROM "v_user" AS t WHERE (t."id" = $1::uuid)
