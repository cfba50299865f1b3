-- The fixture's shape at scale, for docs/sql-shapes.md (run by scripts/sql-shapes.sh into
-- database fqb_shapes): 10 tenants, 10,000 users, 100,000 posts (parents), 1,000,000
-- comments (children), 300,000 likes (a join table), with the indexes a user would create
-- (primary keys, every foreign key column, the timestamp lists are ordered by).
-- Deterministic: ids are md5 of a name, every choice is arithmetic on the row number.
SET client_min_messages = warning;
DROP TABLE IF EXISTS post_likes, comments, posts, users CASCADE;

CREATE TABLE users (
    id uuid PRIMARY KEY, tenant_id uuid NOT NULL, created_at timestamptz NOT NULL,
    fk_manager uuid, data jsonb NOT NULL);
CREATE TABLE posts (
    id uuid PRIMARY KEY, tenant_id uuid NOT NULL, created_at timestamptz NOT NULL,
    fk_author uuid, data jsonb NOT NULL);
CREATE TABLE comments (
    id uuid PRIMARY KEY, tenant_id uuid NOT NULL, created_at timestamptz NOT NULL,
    fk_post uuid, fk_author uuid, data jsonb NOT NULL);
CREATE TABLE post_likes (
    id uuid PRIMARY KEY, tenant_id uuid NOT NULL, created_at timestamptz NOT NULL,
    fk_post uuid NOT NULL, fk_user uuid NOT NULL, data jsonb NOT NULL);

-- user i (1..10000): tenant i % 10; manager: the user 10 below in the same tenant.
INSERT INTO users
SELECT md5('u' || i)::uuid, md5('t' || (i % 10))::uuid,
       timestamptz '2024-01-01' + i * interval '1 minute',
       CASE WHEN i > 10 THEN md5('u' || (i - 10))::uuid END,
       jsonb_build_object('name', 'User ' || i, 'email', 'user' || i || '@example.com',
                          'age', 18 + i % 60, 'active', i % 7 <> 0,
                          'profile', jsonb_build_object('city', (ARRAY['Paris', 'Berlin', 'Tokyo', 'Lima'])[1 + i % 4]))
  FROM generate_series(1, 10000) AS i;

-- post j (1..100000): author u(1 + (j * 7919) % 10000), in the author's tenant.
INSERT INTO posts
SELECT md5('p' || j)::uuid, md5('t' || (a % 10))::uuid,
       timestamptz '2024-02-01' + j * interval '1 minute',
       md5('u' || a)::uuid,
       jsonb_build_object('title', 'Post ' || j, 'body', repeat('lorem ipsum ', (1 + j % 20)::int),
                          'views', (j * 37) % 5000, 'published', j % 5 <> 0,
                          'tags', jsonb_build_array('t' || j % 13, 't' || j % 17))
  FROM generate_series(1::bigint, 100000) AS j, LATERAL (SELECT 1 + (j * 7919) % 10000 AS a) AS x;

-- comment k (1..1000000): post p(1 + (k * 104729) % 100000) (10 per post), author a user of
-- the post's tenant.
INSERT INTO comments
SELECT md5('c' || k)::uuid, p.tenant_id,
       timestamptz '2024-03-01' + k * interval '1 second',
       p.id, md5('u' || u)::uuid,
       jsonb_build_object('body', 'Comment ' || k, 'likes', (k * 13) % 100)
  FROM generate_series(1::bigint, 1000000) AS k
  JOIN LATERAL (SELECT 1 + (k * 104729) % 100000 AS pj) AS x ON TRUE
  JOIN posts p ON p.id = md5('p' || x.pj)::uuid
  JOIN LATERAL (SELECT 1 + (x.pj * 7919) % 10000 AS a) AS y ON TRUE
  JOIN LATERAL (SELECT CASE WHEN 10 * (k % 1000) + y.a % 10 = 0 THEN 10000
                            ELSE 10 * (k % 1000) + y.a % 10 END AS u) AS z ON TRUE;

-- like l (1..300000): post p(1 + (l * 7) % 100000), by a user of the post's tenant.
INSERT INTO post_likes
SELECT md5('l' || l)::uuid, p.tenant_id, timestamptz '2024-04-01' + l * interval '1 second',
       p.id, md5('u' || u)::uuid, jsonb_build_object('reaction', (ARRAY['+1', 'heart', 'rocket'])[1 + l % 3])
  FROM generate_series(1::bigint, 300000) AS l
  JOIN LATERAL (SELECT 1 + (l * 7) % 100000 AS pj) AS x ON TRUE
  JOIN posts p ON p.id = md5('p' || x.pj)::uuid
  JOIN LATERAL (SELECT 1 + (x.pj * 7919) % 10000 AS a) AS y ON TRUE
  JOIN LATERAL (SELECT CASE WHEN 10 * ((l * 3) % 1000) + y.a % 10 = 0 THEN 10000
                            ELSE 10 * ((l * 3) % 1000) + y.a % 10 END AS u) AS z ON TRUE;

CREATE INDEX ON users (fk_manager);
CREATE INDEX ON posts (fk_author);
CREATE INDEX ON posts (created_at);
CREATE INDEX ON comments (fk_post);
CREATE INDEX ON comments (fk_author);
CREATE INDEX ON post_likes (fk_post);
CREATE INDEX ON post_likes (fk_user);

CREATE OR REPLACE VIEW v_user AS SELECT id, tenant_id, created_at, fk_manager, data FROM users;
CREATE OR REPLACE VIEW v_post AS SELECT id, tenant_id, created_at, fk_author, data FROM posts;
CREATE OR REPLACE VIEW v_comment AS
    SELECT id, tenant_id, created_at, fk_post, fk_author, data FROM comments;
CREATE OR REPLACE VIEW v_post_like AS
    SELECT id, tenant_id, created_at, fk_post, fk_user, data FROM post_likes;

VACUUM ANALYZE users, posts, comments, post_likes;
