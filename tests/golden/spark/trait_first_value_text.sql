-- tests/test_dialects.py::test_trait_case_sql[first_value_text-spark]
-- trait case 'first_value text'; dialect spark, as_of 2026-03-31T12:00:00+00:00, zone UTC
-- generated: rewrite with `pytest tests/test_dialects.py --update-golden`
WITH event_facts AS (
  /* one pass over the events: per contact, what each event condition needs */
  SELECT
    *
  FROM (
    SELECT
      `events`.`contact_id`,
      (
        MAX(
          STRUCT(
            -(
              DATEDIFF(MICROSECOND, CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ), `events`.`ts`)
            ) AS k,
            `events`.`category` AS v
          )
        ) FILTER(WHERE
          (
            `events`.`event` = 'purchase'
            AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)
          )
          AND NOT `events`.`category` IS NULL)
      ).v AS `f0` /* first value of category: purchase */
    FROM events
    WHERE
      `events`.`event` = 'purchase'
      AND `events`.`ts` <= CAST('2026-03-31 12:00:00' AS TIMESTAMP_NTZ)
    GROUP BY
      `events`.`contact_id`
  ) AS event_facts
  WHERE
    NOT `event_facts`.`f0` IS NULL AND `event_facts`.`f0` = ''
)
/* members of trait_first_value_text: first_category is "" */
SELECT
  `event_facts`.`contact_id`
FROM event_facts
WHERE
  NOT `event_facts`.`f0` IS NULL AND `event_facts`.`f0` = ''
