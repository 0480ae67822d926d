-- Synthetic contacts, one row per contact_id.
--
-- Variables: seed, n_contacts, n_active, perm_inverse, n_events, as_of.
-- Each contact has an activity rank (0 = the heaviest user); ranks at or above
-- n_active never produce events. The events generator draws ranks with a
-- power law and maps rank -> contact with the inverse permutation of the one
-- used here, so spend and tier follow activity without sharing row order.
WITH base AS (
    SELECT
        i,
        (i * getvariable('perm_inverse')) % getvariable('n_contacts') AS activity_rank
    FROM range(getvariable('n_contacts')) AS r(i)
),
activity AS (
    SELECT
        *,
        CASE
            WHEN activity_rank < getvariable('n_active')
                THEN getvariable('n_events') * (
                    sqrt((activity_rank + 1) / getvariable('n_active'))
                    - sqrt(activity_rank / getvariable('n_active'))
                )
            ELSE 0
        END AS expected_events,
        CASE
            WHEN bench_u(i, 1) < 0.55 THEN 'IN'
            WHEN bench_u(i, 1) < 0.67 THEN 'AE'
            WHEN bench_u(i, 1) < 0.75 THEN 'SA'
            WHEN bench_u(i, 1) < 0.80 THEN 'OM'
            WHEN bench_u(i, 1) < 0.88 THEN 'US'
            WHEN bench_u(i, 1) < 0.93 THEN 'GB'
            WHEN bench_u(i, 1) < 0.96 THEN 'QA'
            WHEN bench_u(i, 1) < 0.98 THEN 'KW'
            ELSE 'SG'
        END AS country
    FROM base
),
located AS (
    SELECT
        *,
        CASE
            WHEN bench_u(i, 2) < 0.03 THEN NULL
            WHEN bench_u(i, 2) < 0.04 THEN ''
            ELSE bench_pick(
                CASE country
                    WHEN 'IN' THEN [
                        'Mumbai', 'Mumbai', 'Mumbai', 'Pune', 'Pune', 'Nagpur', 'Delhi', 'Delhi',
                        'Delhi', 'Bengaluru', 'Bengaluru', 'Chennai', 'Hyderabad', 'Kolkata',
                        'Ahmedabad', 'Jaipur'
                    ]
                    WHEN 'AE' THEN ['Dubai', 'Dubai', 'Abu Dhabi', 'Sharjah']
                    WHEN 'SA' THEN ['Riyadh', 'Riyadh', 'Jeddah', 'Dammam']
                    WHEN 'OM' THEN ['Muscat', 'Muscat', 'Salalah', 'Sohar']
                    WHEN 'US' THEN ['New York', 'Austin', 'San Jose', 'Chicago']
                    WHEN 'GB' THEN ['London', 'London', 'Manchester']
                    WHEN 'QA' THEN ['Doha']
                    WHEN 'KW' THEN ['Kuwait City']
                    ELSE ['Singapore']
                END,
                bench_u(i, 3)
            )
        END AS city,
        CASE
            WHEN country IN ('AE', 'SA', 'OM', 'QA', 'KW')
                THEN CASE WHEN bench_u(i, 4) < 0.65 THEN 'ar' ELSE 'en' END
            WHEN country = 'IN'
                THEN CASE
                    WHEN bench_u(i, 4) < 0.55 THEN 'en'
                    WHEN bench_u(i, 4) < 0.85 THEN 'hi'
                    ELSE 'mr'
                END
            ELSE 'en'
        END AS language,
        greatest(
            0.0,
            round(
                CASE
                    WHEN expected_events > 0
                        THEN expected_events * 120 * exp(0.7 * bench_normal(i, 5) - 0.25)
                    ELSE bench_u(i, 6) * 500
                END,
                2
            )
        ) AS spent
    FROM activity
)
SELECT
    'C' || lpad(i::VARCHAR, 9, '0') AS contact_id,
    bench_pick(
        ['Aarav', 'Vivaan', 'Aditya', 'Ananya', 'Diya', 'Isha', 'Omar', 'Fatima', 'Yousef',
         'Layla', 'Ahmed', 'Mariam', 'Priya', 'Rohan', 'Sara', 'James', 'Emma', 'Noah',
         'Olivia', 'Liam', 'Meera', 'Kabir', 'Zara', 'Hamad'],
        bench_u(i, 7)
    ) AS first_name,
    bench_pick(
        ['Sharma', 'Patil', 'Deshmukh', 'Iyer', 'Khan', 'Al Balushi', 'Al Harthy', 'Al Saud',
         'Haddad', 'Mehta', 'Kulkarni', 'Reddy', 'Smith', 'Jones', 'Brown', 'Nair', 'Gupta',
         'Al Maktoum', 'Rahman', 'Joshi'],
        bench_u(i, 8)
    ) AS last_name,
    CASE
        WHEN bench_u(i, 9) < 0.04 THEN NULL
        ELSE lower(replace(first_name || '.' || last_name, ' ', '')) || i::VARCHAR || '@'
            || bench_pick(['gmail.com', 'yahoo.com', 'outlook.com', 'example.com', 'hotmail.com'],
                          bench_u(i, 10))
    END AS email,
    CASE
        WHEN bench_u(i, 11) < 0.12 THEN NULL
        ELSE CASE country
                WHEN 'IN' THEN '+91'
                WHEN 'AE' THEN '+971'
                WHEN 'SA' THEN '+966'
                WHEN 'OM' THEN '+968'
                WHEN 'US' THEN '+1'
                WHEN 'GB' THEN '+44'
                WHEN 'QA' THEN '+974'
                WHEN 'KW' THEN '+965'
                ELSE '+65'
            END || lpad(floor(bench_u(i, 12) * 1e9)::BIGINT::VARCHAR, 9, '0')
    END AS phone,
    city,
    CASE
        WHEN city IN ('Mumbai', 'Pune', 'Nagpur') THEN 'Maharashtra'
        WHEN city = 'Delhi' THEN 'Delhi'
        WHEN city = 'Bengaluru' THEN 'Karnataka'
        WHEN city = 'Chennai' THEN 'Tamil Nadu'
        WHEN city = 'Hyderabad' THEN 'Telangana'
        ELSE NULL
    END AS state,
    country,
    CASE WHEN language = 'en' AND city IN ('Mumbai', 'Pune', 'Nagpur') AND bench_u(i, 13) < 0.2
        THEN 'mr' ELSE language END AS language,
    -- Sign-ups skew recent (a growing business): age = span * u^1.4.
    getvariable('as_of')
        - to_microseconds((pow(bench_u(i, 14), 1.4) * 2000 * 86400 * 1e6)::BIGINT)
        AS signup_at,
    CASE
        WHEN bench_u(i, 15) < 0.03 THEN NULL
        WHEN spent > 100000 THEN 'Platinum'
        WHEN spent > 20000 THEN 'Gold'
        WHEN spent > 5000 THEN 'Silver'
        ELSE 'Bronze'
    END AS tier,
    CASE WHEN expected_events = 0 AND bench_u(i, 16) < 0.5 THEN NULL ELSE spent END
        AS total_spent,
    round(spent / 1500)::BIGINT AS lifetime_orders,
    least(100, floor(bench_u(i, 17) * 70 + least(30, expected_events / 10)))::BIGINT
        AS lead_score,
    CASE WHEN bench_u(i, 18) < 0.08 THEN NULL ELSE bench_u(i, 19) < 0.45 END
        AS whatsapp_opt_in,
    bench_u(i, 20) < 0.06 AS opted_out,
    list_filter(
        [
            CASE WHEN spent > 50000 AND bench_u(i, 21) < 0.6 THEN 'VIP' END,
            CASE WHEN bench_u(i, 22) < 0.3 THEN 'newsletter' END,
            CASE WHEN bench_u(i, 23) < 0.05 THEN 'wholesale' END,
            CASE WHEN bench_u(i, 24) < 0.02 THEN 'beta' END
        ],
        lambda t: t IS NOT NULL
    ) AS tags,
    CASE WHEN bench_u(i, 25) < 0.3 THEN NULL
        ELSE DATE '1960-01-01' + floor(bench_u(i, 26) * 16000)::INTEGER END AS date_of_birth,
    CASE WHEN bench_u(i, 27) < 0.2 THEN NULL WHEN bench_u(i, 28) < 0.5 THEN 'f' ELSE 'm' END
        AS gender
FROM located
ORDER BY i
