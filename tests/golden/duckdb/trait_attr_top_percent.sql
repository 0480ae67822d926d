-- tests/test_dialects.py::test_trait_case_sql[attr_top_percent-duckdb]
-- trait case 'attr top_percent'; dialect duckdb, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH contact_ranks AS (
  /* per contact, its place among every contact's value (percentiles) */
  SELECT
    "contacts"."contact_id",
    CASE
      WHEN NOT "contacts"."total_spent" IS NULL AND NOT ISNAN("contacts"."total_spent")
      THEN RANK() OVER (
        PARTITION BY (
          NOT "contacts"."total_spent" IS NULL AND NOT ISNAN("contacts"."total_spent")
        )
        ORDER BY "contacts"."total_spent" DESC
      ) - 1
    END AS "r0",
    COUNT(
      CASE
        WHEN NOT "contacts"."total_spent" IS NULL AND NOT ISNAN("contacts"."total_spent")
        THEN 1
      END
    ) OVER () AS "n0"
  FROM contacts
)
/* members of trait_attr_top_percent: total_spent is in the top 28% of all contacts */
SELECT
  "contacts"."contact_id"
FROM contacts
LEFT JOIN contact_ranks
  ON "contact_ranks"."contact_id" = "contacts"."contact_id"
WHERE
  NOT "contact_ranks"."r0" IS NULL
  AND 100 * "contact_ranks"."r0" < 28 * "contact_ranks"."n0"
