SELECT jsonb_build_object('n', count(*)) AS "data" FROM "v_post" AS t HAVING (count(*) = $1::bigint)
