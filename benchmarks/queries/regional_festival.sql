-- Lives in Mumbai, Pune or Nagpur and viewed, carted or bought festive products
-- between 2025-08-20 and 2025-09-10 (both whole days: ts < 2025-09-11).

-- variant: exists
SELECT c.contact_id
FROM contacts AS c
WHERE c.city IN ('Mumbai', 'Pune', 'Nagpur')
  AND EXISTS (
        SELECT 1 FROM events AS e
        WHERE e.contact_id = c.contact_id
          AND e.event IN ('product_view', 'add_to_cart', 'purchase')
          AND e.category = 'festive'
          AND e.ts >= TIMESTAMP '2025-08-20 00:00:00'
          AND e.ts < TIMESTAMP '2025-09-11 00:00:00'
    )

-- variant: agg
SELECT c.contact_id
FROM contacts AS c
JOIN (
    SELECT contact_id
    FROM events
    WHERE event IN ('product_view', 'add_to_cart', 'purchase')
      AND ts >= TIMESTAMP '2025-08-20 00:00:00'
      AND ts < TIMESTAMP '2025-09-11 00:00:00'
    GROUP BY contact_id
    HAVING count(*) FILTER (WHERE category = 'festive') > 0
) AS f ON f.contact_id = c.contact_id
WHERE c.city IN ('Mumbai', 'Pune', 'Nagpur')

-- variant: setops
SELECT contact_id FROM contacts
WHERE city IN ('Mumbai', 'Pune', 'Nagpur')
INTERSECT
SELECT contact_id FROM events
WHERE event IN ('product_view', 'add_to_cart', 'purchase')
  AND category = 'festive'
  AND ts >= TIMESTAMP '2025-08-20 00:00:00'
  AND ts < TIMESTAMP '2025-09-11 00:00:00'
