-- tests/test_dialects.py::test_case_sql[matches_i-spark]
-- semantic case 'matches (?i)'; dialect spark, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_matches_i: email matches the pattern "(?i)^b@y" */
SELECT
  `contacts`.`contact_id`
FROM contacts
WHERE
  NOT `contacts`.`email` IS NULL AND `contacts`.`email` RLIKE '(?du)(?i)^b@y'
