SELECT jsonb_build_object('id', t."id", 'ip_address', t."data"->'ip_address') AS "data" FROM "v_user" AS t WHERE ((t."data"->>'ip_address')::inet >= $1::text::inet)
