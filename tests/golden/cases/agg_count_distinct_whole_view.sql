SELECT jsonb_build_object('posts', count(*), 'authors', count(DISTINCT (t."data"->>'author_id')::uuid), 'withAuthor', count((t."data"->>'author_id')::uuid)) AS "data" FROM "v_post" AS t
