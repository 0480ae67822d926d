-- tests/test_dialects.py::test_example_segment_sql[gold_oman-postgres]
-- example segment gold_oman (data/segments/gold_oman.yaml); dialect postgres, as_of 2026-06-30T18:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of gold_oman: tier is "Gold" and country is "OM" */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  (
    NOT "contacts"."tier" IS NULL AND "contacts"."tier" = 'Gold'
  )
  AND (
    NOT "contacts"."country" IS NULL AND "contacts"."country" = 'OM'
  )
