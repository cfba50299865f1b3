SELECT jsonb_build_object('id', t."id", 'network', t."data"->'network') AS "data" FROM "v_user" AS t WHERE (NOT (t."data"->>'network')::cidr <<= ANY('{127.0.0.0/8,::1/128}'::inet[]))
