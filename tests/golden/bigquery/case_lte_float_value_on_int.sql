-- tests/test_dialects.py::test_case_sql[lte_float_value_on_int-bigquery]
-- semantic case 'lte float value on int'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_lte_float_value_on_int: lead_score is at most 50.5 */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  NOT `contacts`.`lead_score` IS NULL AND `contacts`.`lead_score` <= 50.5
