SELECT jsonb_build_object('id', t."id", 'ip_address', t."data"->'ip_address') AS "data" FROM "v_user" AS t WHERE (NOT (t."data"->>'ip_address')::inet <<= ANY('{224.0.0.0/4,ff00::/8}'::inet[]))
