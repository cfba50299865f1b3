SELECT jsonb_build_object('id', t."id", 'network', t."data"->'network') AS "data" FROM "v_user" AS t WHERE ((t."data"->>'network')::cidr <<= ANY('{169.254.0.0/16,fe80::/10}'::inet[]))
