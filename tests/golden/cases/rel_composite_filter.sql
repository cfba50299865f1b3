SELECT jsonb_build_object('id', t."id") AS "data" FROM "v_comment" AS t WHERE EXISTS (SELECT 1 FROM "v_post_like" AS t1 WHERE t1."fk_post" = t."fk_post" AND t1."fk_user" = t."fk_author" AND (TRUE))
