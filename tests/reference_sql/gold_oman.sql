-- gold_oman: tier is 'Gold' and country is 'OM' (both exact, case-sensitive).
SELECT contact_id
FROM contacts
WHERE tier = 'Gold'
  AND country = 'OM'
ORDER BY contact_id
