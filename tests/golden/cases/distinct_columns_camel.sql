SELECT (t."data"->>'published_on')::date AS "publishedOn" FROM "v_post" AS t GROUP BY (t."data"->>'published_on')::date ORDER BY (t."data"->>'published_on')::date DESC NULLS LAST
