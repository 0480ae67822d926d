-- tests/test_dialects.py::test_example_segment_sql[festival_offer_maharashtra-trino]
-- example segment festival_offer_maharashtra (data/segments/festival_offer_maharashtra.yaml); dialect trino, as_of 2026-06-30T18:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of festival_offer_maharashtra: city is one of "Mumbai", "Pune" or "Nagpur" */
SELECT
  "contacts"."contact_id"
FROM contacts
WHERE
  NOT "contacts"."city" IS NULL
  AND "contacts"."city" IN ('Mumbai', 'Pune', 'Nagpur')
