-- festival_offer_maharashtra: city is one of Mumbai, Pune, Nagpur (case-sensitive, exact:
-- 'mumbai', 'Pune ' and a missing or empty city do not match).
SELECT contact_id
FROM contacts
WHERE city IN ('Mumbai', 'Pune', 'Nagpur')
ORDER BY contact_id
