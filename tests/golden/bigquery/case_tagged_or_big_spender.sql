-- tests/test_dialects.py::test_case_sql[tagged_or_big_spender-bigquery]
-- semantic case 'tagged or big spender'; dialect bigquery, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
/* members of case_tagged_or_big_spender: tags has "VIP" or performed purchase, with total amount greater than 250 */
SELECT
  `members`.`contact_id`
FROM (
  SELECT
    `contacts`.`contact_id`
  FROM contacts
  WHERE
    NOT `contacts`.`tags` IS NULL
    AND EXISTS(
      SELECT
        1
      FROM UNNEST(`contacts`.`tags`) AS tag
      WHERE
        tag IN ('VIP')
    )
  UNION DISTINCT
  /* contacts who: performed purchase, with total amount greater than 250 */
  SELECT
    `events`.`contact_id`
  FROM events
  WHERE
    `events`.`event` = 'purchase'
    AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS DATETIME)
  GROUP BY
    `events`.`contact_id`
  HAVING
    COALESCE(SUM(CAST(`events`.`amount` AS BIGNUMERIC)), 0) > 250
) AS members
