-- =============================================================================
-- Aveloxis data model: catalog checks against the LIVE database
-- =============================================================================
--
-- Format (parsed by aveloxis_migrations::catalog::conventions):
--   * each query is preceded by a line `-- check: <name>` and must return ZERO
--     rows on a correct schema; every row it returns names an offender;
--   * a query preceded by `-- counts: <name>` is informational and returns
--     (schema_name, object_kind, n) rows for the count assertions
--     (>= 84 base tables in aveloxis_data, >= 24 in aveloxis_ops once the
--     engine's schema_migrations/schema_meta exist, exactly 19 matviews).
-- Queries end with a semicolon on its own clause; no query depends on another.
-- Scope: every schema whose name starts with 'aveloxis'.
-- Upsert-key coverage is checked by the core test suite against the natural keys
-- aveloxis-core declares (collect/specs: each spec's key and OTHER_KEYS).
-- =============================================================================

-- check: fk_not_deferrable_initially_deferred
SELECT n.nspname AS schema_name,
       con.conrelid::regclass::text AS table_name,
       con.conname AS constraint_name,
       con.condeferrable,
       con.condeferred
FROM pg_constraint con
JOIN pg_namespace n ON n.oid = con.connamespace
WHERE con.contype = 'f'
  AND n.nspname LIKE 'aveloxis%'
  AND NOT (con.condeferrable AND con.condeferred)
ORDER BY 1, 2, 3;

-- check: fk_child_columns_not_indexed
-- An FK is covered when a valid, non-partial btree index on the child table has
-- exactly the FK columns (in any order) as its leading key columns.
SELECT n.nspname AS schema_name,
       con.conrelid::regclass::text AS table_name,
       con.conname AS constraint_name,
       (SELECT string_agg(a.attname, ', ' ORDER BY k.ord)
        FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS fk_columns
FROM pg_constraint con
JOIN pg_namespace n ON n.oid = con.connamespace
WHERE con.contype = 'f'
  AND n.nspname LIKE 'aveloxis%'
  AND NOT EXISTS (
        SELECT 1
        FROM pg_index i
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_am am ON am.oid = ic.relam
        WHERE i.indrelid = con.conrelid
          AND i.indisvalid
          AND i.indpred IS NULL
          AND am.amname = 'btree'
          AND i.indnkeyatts >= cardinality(con.conkey)
          AND (SELECT array_agg(x ORDER BY x)
               FROM unnest((i.indkey::int2[])[0:cardinality(con.conkey) - 1]) AS x)
              = (SELECT array_agg(y ORDER BY y) FROM unnest(con.conkey) AS y)
      )
ORDER BY 1, 2, 3;

-- check: contributor_fk_rules
-- Every FK to aveloxis_data.contributors must be ON UPDATE CASCADE ON DELETE RESTRICT
-- (and reference cntrb_id).
SELECT con.conrelid::regclass::text AS table_name,
       con.conname AS constraint_name,
       con.confupdtype AS on_update,    -- expected 'c' (cascade)
       con.confdeltype AS on_delete     -- expected 'r' (restrict)
FROM pg_constraint con
WHERE con.contype = 'f'
  AND con.confrelid = 'aveloxis_data.contributors'::regclass
  AND (con.confupdtype <> 'c'
       OR con.confdeltype <> 'r'
       OR con.confkey <> ARRAY[(SELECT a.attnum FROM pg_attribute a
                                WHERE a.attrelid = 'aveloxis_data.contributors'::regclass
                                  AND a.attname = 'cntrb_id')]::int2[])
ORDER BY 1, 2;

-- check: fk_not_validated
SELECT con.conrelid::regclass::text AS table_name,
       con.conname AS constraint_name
FROM pg_constraint con
JOIN pg_namespace n ON n.oid = con.connamespace
WHERE con.contype = 'f'
  AND n.nspname LIKE 'aveloxis%'
  AND NOT con.convalidated
ORDER BY 1, 2;

-- check: invalid_indexes
-- Leftovers of an interrupted CREATE INDEX CONCURRENTLY (IF NOT EXISTS would keep them).
SELECT n.nspname AS schema_name,
       ic.relname AS index_name,
       i.indrelid::regclass::text AS table_name
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
WHERE n.nspname LIKE 'aveloxis%'
  AND (NOT i.indisvalid OR NOT i.indisready)
ORDER BY 1, 2;

-- check: data_tables_missing_metadata_columns
-- Every base table in aveloxis_data carries tool_source, tool_version,
-- data_source (text) and data_collection_date (timestamptz).
SELECT t.table_name,
       m.column_name AS missing_or_mistyped
FROM information_schema.tables t
CROSS JOIN (VALUES ('tool_source', 'text'),
                   ('tool_version', 'text'),
                   ('data_source', 'text'),
                   ('data_collection_date', 'timestamp with time zone')) AS m(column_name, data_type)
WHERE t.table_schema = 'aveloxis_data'
  AND t.table_type = 'BASE TABLE'
  AND NOT EXISTS (
        SELECT 1 FROM information_schema.columns c
        WHERE c.table_schema = t.table_schema
          AND c.table_name = t.table_name
          AND c.column_name = m.column_name
          AND c.data_type = m.data_type
      )
ORDER BY 1, 2;

-- check: messages_natural_key_includes_kind
-- There must be a unique, non-partial index on messages over exactly
-- (platform_id, platform_msg_id, msg_kind), and no unique index may cover
-- platform_msg_id without msg_kind (that key silently overwrote messages upstream).
SELECT 'missing unique (platform_id, platform_msg_id, msg_kind)' AS problem,
       NULL::text AS index_name
WHERE NOT EXISTS (
    SELECT 1
    FROM pg_index i
    WHERE i.indrelid = 'aveloxis_data.messages'::regclass
      AND i.indisunique AND i.indisvalid AND i.indpred IS NULL
      AND i.indnkeyatts = 3
      AND (SELECT array_agg(a.attname::text ORDER BY a.attname)
           FROM unnest(i.indkey::int2[]) AS k(attnum)
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum)
          = ARRAY['msg_kind', 'platform_id', 'platform_msg_id']
)
UNION ALL
SELECT 'unique index on platform_msg_id without msg_kind',
       i.indexrelid::regclass::text
FROM pg_index i
WHERE i.indrelid = 'aveloxis_data.messages'::regclass
  AND i.indisunique
  AND EXISTS (SELECT 1 FROM pg_attribute a
              WHERE a.attrelid = i.indrelid AND a.attname = 'platform_msg_id'
                AND a.attnum = ANY (i.indkey::int2[]))
  AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                  WHERE a.attrelid = i.indrelid AND a.attname = 'msg_kind'
                    AND a.attnum = ANY (i.indkey::int2[]));

-- check: matviews_without_concurrent_refresh_index
-- Every materialized view needs a unique index on plain columns with no
-- predicate so that REFRESH MATERIALIZED VIEW CONCURRENTLY is possible.
SELECT n.nspname AS schema_name,
       c.relname AS matview_name
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'm'
  AND n.nspname LIKE 'aveloxis%'
  AND NOT EXISTS (
        SELECT 1
        FROM pg_index i
        WHERE i.indrelid = c.oid
          AND i.indisunique AND i.indisvalid
          AND i.indpred IS NULL
          AND i.indexprs IS NULL
      )
ORDER BY 1, 2;

-- check: fk_not_named_by_convention
-- FKs are declared as named table constraints: fk_<table>_<what>.
SELECT con.conrelid::regclass::text AS table_name,
       con.conname AS constraint_name
FROM pg_constraint con
JOIN pg_namespace n ON n.oid = con.connamespace
WHERE con.contype = 'f'
  AND n.nspname LIKE 'aveloxis%'
  AND con.conname NOT LIKE 'fk\_%'
ORDER BY 1, 2;

-- counts: object_counts
SELECT n.nspname AS schema_name,
       CASE c.relkind WHEN 'r' THEN 'base_table'
                      WHEN 'p' THEN 'base_table'
                      WHEN 'm' THEN 'matview'
                      WHEN 'v' THEN 'view' END AS object_kind,
       count(*) AS n
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname LIKE 'aveloxis%'
  AND c.relkind IN ('r', 'p', 'm', 'v')
  AND NOT c.relispartition
GROUP BY 1, 2
ORDER BY 1, 2;
