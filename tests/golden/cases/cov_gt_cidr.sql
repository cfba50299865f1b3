SELECT jsonb_build_object('id', t."id", 'network', t."data"->'network') AS "data" FROM "v_user" AS t WHERE ((t."data"->>'network')::cidr > $1::text::cidr)
