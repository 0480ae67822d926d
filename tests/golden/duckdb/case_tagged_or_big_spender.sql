-- tests/test_dialects.py::test_case_sql[tagged_or_big_spender-duckdb]
-- semantic case 'tagged or big spender'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_tagged_or_big_spender: tags has "VIP" or performed purchase, with total amount greater than 250 */
SELECT
  "members"."contact_id"
FROM (
  SELECT
    "contacts"."contact_id"
  FROM contacts
  WHERE
    NOT "contacts"."tags" IS NULL AND ARRAY_CONTAINS("contacts"."tags", 'VIP')
  UNION
  /* contacts who: performed purchase, with total amount greater than 250 */
  SELECT
    "events"."contact_id"
  FROM events
  WHERE
    "events"."event" = 'purchase'
    AND "events"."ts" <= CAST('2026-03-31 12:00:00' AS TIMESTAMP)
  GROUP BY
    "events"."contact_id"
  HAVING
    COALESCE(
      (
        COALESCE(
          CAST(CAST(SUM(TRY_CAST("events"."amount" * CAST(1.8446744073709552e+19 AS DOUBLE) AS INT128)) FILTER(WHERE
            ABS("events"."amount") < CAST(4294967296.0 AS DOUBLE)
            AND FLOOR("events"."amount" * CAST(1.8446744073709552e+19 AS DOUBLE)) = "events"."amount" * CAST(1.8446744073709552e+19 AS DOUBLE)) AS TEXT) AS DOUBLE) * CAST(5.421010862427522e-20 AS DOUBLE),
          0
        ) + COALESCE(
          FSUM("events"."amount" ORDER BY ABS("events"."amount") DESC, "events"."amount" DESC) FILTER(WHERE
            NOT (
              ABS("events"."amount") < CAST(4294967296.0 AS DOUBLE)
              AND FLOOR("events"."amount" * CAST(1.8446744073709552e+19 AS DOUBLE)) = "events"."amount" * CAST(1.8446744073709552e+19 AS DOUBLE)
            )),
          0
        )
      ),
      0
    ) > 250
) AS members
