SELECT jsonb_build_object('n', count(*), 'posts', count(DISTINCT (t."data"->>'post_id')::uuid), 'bodies', count(DISTINCT t."data"->>'body')) AS "data" FROM "v_comment" AS t
