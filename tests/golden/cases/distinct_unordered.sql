SELECT jsonb_build_object('author_id', to_jsonb((t."data"->>'author_id')::uuid)) AS "data" FROM "v_comment" AS t GROUP BY (t."data"->>'author_id')::uuid
