"""Generate the bundled sample: the contacts and events of a small WhatsApp-first shop.

    python data/generate.py

writes `data/sample/contacts.parquet`, `data/sample/events.parquet` and
`data/sample/sample.json`. Every run writes byte-identical files: one seeded
`random.Random` drives everything, nothing reads the clock, rows are sorted
before writing, and no set (whose order depends on string hashing) is ever
iterated.

How the data comes about, in order:

1. Contacts: a home city (and with it country, languages, names, phone format
   and time zone), a sign-up time on a growth curve, how engaged they are (a
   Pareto draw, so a few heavy users and many light ones) and whether they
   lapsed before the event history starts or go quiet part-way through it.
2. Behaviour: shop broadcasts (twice a week, plus regional festival
   campaigns) are received, read and sometimes replied to; browsing sessions,
   logins and support tickets arrive as a time-varying Poisson process whose
   rate follows the local hour, the local weekend and festival seasons;
   sessions run the funnel page_view -> product_view -> add_to_cart ->
   checkout_started -> purchase or cart_abandoned, with WhatsApp cart
   reminders and order updates.
3. Planted cases, so that every example segment in `data/segments/` has a
   non-trivial membership at the reference time (and exact window
   boundaries are exercised).
4. Attributes that summarise behaviour: total_spent, lifetime_value, tier,
   lead_score, has_open_deal, last_login_at, tags.

Events after the reference time have not happened yet and are dropped.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20260630
AS_OF = datetime(2026, 6, 30, 18, 0, 0)  # naive UTC, like every timestamp here
EVENTS_FROM = datetime(2025, 6, 1)
SIGNUPS_FROM = datetime(2022, 1, 1)
CONTACTS = 5000
OUT_DIR = Path(__file__).resolve().parent / "sample"

# Rates per day for an engagement of 1 (engagement is a Pareto draw, >= 1).
BROWSE_RATE = 0.0065
LOGIN_RATE = 0.0035
TICKET_RATE = 0.0012


# -- places and people ------------------------------------------------------------


@dataclass(frozen=True)
class City:
    name: str
    country: str
    weight: float  # share of contacts
    utc_offset: float  # hours; local time of day drives activity
    languages: tuple[tuple[str, float], ...]
    names: str  # which name pool
    region: str  # festival calendar: IN, GULF, WEST


# fmt: off
CITIES = (
    City("Mumbai", "IN", 14, 5.5, (("en", 40), ("mr", 32), ("hi", 28)), "marathi", "IN"),
    City("Pune", "IN", 10, 5.5, (("en", 38), ("mr", 42), ("hi", 20)), "marathi", "IN"),
    City("Nagpur", "IN", 4, 5.5, (("en", 30), ("mr", 45), ("hi", 25)), "marathi", "IN"),
    City("Delhi", "IN", 10, 5.5, (("en", 48), ("hi", 52)), "hindi", "IN"),
    City("Bengaluru", "IN", 10, 5.5, (("en", 62), ("kn", 24), ("hi", 14)), "south", "IN"),
    City("Hyderabad", "IN", 4, 5.5, (("en", 55), ("te", 30), ("hi", 15)), "south", "IN"),
    City("Chennai", "IN", 3, 5.5, (("en", 55), ("ta", 45)), "south", "IN"),
    City("Ahmedabad", "IN", 2, 5.5, (("en", 40), ("gu", 40), ("hi", 20)), "hindi", "IN"),
    City("Kolkata", "IN", 2, 5.5, (("en", 45), ("bn", 40), ("hi", 15)), "hindi", "IN"),
    City("Jaipur", "IN", 1, 5.5, (("en", 40), ("hi", 60)), "hindi", "IN"),
    City("Muscat", "OM", 8, 4.0, (("ar", 68), ("en", 32)), "arabic", "GULF"),
    City("Dubai", "AE", 9, 4.0, (("ar", 42), ("en", 45), ("hi", 8), ("ur", 5)), "arabic", "GULF"),
    City("Riyadh", "SA", 7, 3.0, (("ar", 75), ("en", 25)), "arabic", "GULF"),
    City("London", "GB", 8, 0.0, (("en", 92), ("hi", 4), ("ar", 4)), "english", "WEST"),
    City("New York", "US", 8, -5.0, (("en", 86), ("es", 14)), "english", "WEST"),
)

FIRST_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # (male, female)
    "marathi": (
        ("Aarav", "Omkar", "Pranav", "Siddharth", "Tejas", "Vaibhav", "Rohit", "Sachin",
         "Aniket", "Mangesh", "Nikhil", "Shreyas", "Yash", "Amol", "Ganesh", "Vikram"),
        ("Aditi", "Pooja", "Sneha", "Rutuja", "Madhuri", "Gauri", "Sayali", "Prajakta",
         "Ketaki", "Manasi", "Shruti", "Anjali", "Neha", "Vaishnavi", "Swati", "Tanvi"),
    ),
    "hindi": (
        ("Rahul", "Amit", "Vikas", "Arjun", "Karan", "Manish", "Rohan", "Saurabh",
         "Ankit", "Deepak", "Gaurav", "Harsh", "Kunal", "Mohit", "Nitin", "Varun"),
        ("Priya", "Neha", "Kavya", "Riya", "Simran", "Ananya", "Divya", "Isha",
         "Meera", "Nisha", "Pallavi", "Ritika", "Shalini", "Sonam", "Tanya", "Aishwarya"),
    ),
    "south": (
        ("Arun", "Karthik", "Suresh", "Venkat", "Prakash", "Harish", "Rajesh", "Srinivas",
         "Vijay", "Naveen", "Ravi", "Ganesh", "Manoj", "Anand", "Sanjay", "Dinesh"),
        ("Lakshmi", "Divya", "Keerthi", "Meenakshi", "Priya", "Revathi", "Sowmya", "Anusha",
         "Deepa", "Harini", "Kavitha", "Nandini", "Pavithra", "Ramya", "Sandhya", "Swathi"),
    ),
    "arabic": (
        ("Mohammed", "Ahmed", "Ali", "Omar", "Khalid", "Hamad", "Said", "Salim",
         "Yousef", "Abdullah", "Faisal", "Hassan", "Ibrahim", "Nasser", "Sultan", "Tariq"),
        ("Fatima", "Aisha", "Maryam", "Noura", "Huda", "Layla", "Mona", "Reem",
         "Salma", "Sara", "Zainab", "Amal", "Hind", "Latifa", "Muna", "Shaikha"),
    ),
    "english": (
        ("James", "Oliver", "Jack", "Harry", "George", "Daniel", "Michael", "David",
         "Ethan", "Noah", "Samuel", "Thomas", "Ryan", "Luis", "Carlos", "Kevin"),
        ("Emma", "Olivia", "Sophie", "Charlotte", "Emily", "Grace", "Hannah", "Jessica",
         "Mary-Jane", "Chloe", "Lucy", "Megan", "Sarah", "Maria", "Sofia", "Rachel"),
    ),
}
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "marathi": ("Patil", "Deshmukh", "Kulkarni", "Joshi", "Pawar", "Shinde", "Jadhav",
                "Deshpande", "Gokhale", "More", "Kale", "Bhosale", "Chavan", "Gaikwad",
                "Sawant", "Naik", "Apte", "Phadke", "Karve", "Wagh"),
    "hindi": ("Sharma", "Verma", "Gupta", "Singh", "Agarwal", "Mehta", "Shah", "Yadav",
              "Mishra", "Chopra", "Kapoor", "Malhotra", "Saxena", "Jain", "Bansal",
              "Chatterjee", "Banerjee", "Patel", "Trivedi", "Arora"),
    "south": ("Reddy", "Iyer", "Nair", "Rao", "Menon", "Pillai", "Krishnan", "Subramanian",
              "Naidu", "Gowda", "Shetty", "Hegde", "Raman", "Srinivasan", "Murthy",
              "Venkatesh", "Kumar", "Prasad", "Rajan", "Bhat"),
    "arabic": ("Al-Balushi", "Al-Harthy", "Al-Busaidi", "Al-Rawahi", "Al-Hinai", "Al-Maskari",
               "Al-Farsi", "Al-Mansoori", "Al-Nuaimi", "Al-Shamsi", "Al-Qahtani", "Al-Otaibi",
               "Al-Ghamdi", "Al-Zahrani", "Al-Harbi", "Haddad", "Khoury", "Nasser",
               "Saleh", "Hamdan"),
    "english": ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson",
                "Davies", "Evans", "Thomas", "O'Brien", "Walker", "Wright", "Robinson",
                "Garcia", "Martinez", "Miller", "Anderson", "Clarke", "Hughes"),
}

EMAIL_DOMAINS: dict[str, tuple[tuple[str, float], ...]] = {
    "IN": (("gmail.com", 62), ("yahoo.co.in", 12), ("rediffmail.com", 6), ("outlook.com", 12),
           ("hotmail.com", 8)),
    "OM": (("gmail.com", 50), ("hotmail.com", 25), ("omantel.net.om", 15), ("outlook.com", 10)),
    "AE": (("gmail.com", 48), ("hotmail.com", 22), ("outlook.com", 18), ("yahoo.com", 12)),
    "SA": (("gmail.com", 55), ("hotmail.com", 30), ("outlook.com", 15)),
    "GB": (("gmail.com", 40), ("outlook.com", 20), ("yahoo.co.uk", 15), ("btinternet.com", 10),
           ("icloud.com", 15)),
    "US": (("gmail.com", 48), ("yahoo.com", 18), ("outlook.com", 14), ("icloud.com", 20)),
}

TAG_ORDER = ("VIP", "newsletter", "wholesale", "beta", "repeat_buyer", "cod_preferred",
             "diwali_2025", "ramadan_2026", "influencer")
# fmt: on


@dataclass
class Person:
    """One contact: the attributes written out plus what drives their behaviour."""

    contact_id: str
    city: City
    city_text: str | None  # as stored: may be missing, empty or oddly cased
    country: str | None
    language: str | None
    platform: str
    first_name: str | None
    last_name: str | None
    gender: str | None
    date_of_birth: date | None
    email: str | None
    phone: str | None
    signup_at: datetime
    opted_out: bool | None
    engagement: float  # >= 1; heavy users have tens
    prior_spent: float  # spent before the event history starts
    favourite: str  # product category
    dormant_from: datetime  # no sessions from here on (AS_OF: never)
    wholesale: bool
    tags: list[str] | None = None
    total_spent: float | None = None
    lifetime_value: float = 0.0
    tier: str = "Bronze"
    lead_score: int = 0
    has_open_deal: bool | None = None
    last_login_at: datetime | None = None
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def broadcasts_ok(self) -> bool:
        """Marketing broadcasts reach WhatsApp and Instagram contacts who did not opt out."""
        return self.platform != "Webchat" and self.opted_out is not True

    @property
    def channel(self) -> str:
        return self.platform.lower()


class Event(NamedTuple):
    ts: datetime
    contact_id: str
    event: str
    amount: float | None = None
    category: str | None = None
    channel: str | None = None


T = TypeVar("T")


def pick(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    values = [v for v, _ in weighted]
    weights = [w for _, w in weighted]
    return rng.choices(values, weights=weights)[0]


def ms(t: datetime) -> datetime:
    """Round to whole milliseconds, as event collectors record them."""
    return t.replace(microsecond=(t.microsecond // 1000) * 1000)


def make_people(rng: random.Random) -> list[Person]:
    people: list[Person] = []
    used_emails: set[str] = set()  # only ever asked for membership, never iterated
    used_phones: set[str] = set()
    span = (AS_OF - SIGNUPS_FROM).total_seconds()
    for n in range(1, CONTACTS + 1):
        city = pick(rng, [(c, c.weight) for c in CITIES])
        male = rng.random() < 0.5
        first = rng.choice(FIRST_NAMES[city.names][0 if male else 1])
        last = rng.choice(LAST_NAMES[city.names])
        # sign-ups on a growth curve: density (1 + 3x) / 2.5 over the period x in [0, 1],
        # drawn by inverting its distribution function (x + 1.5x^2) / 2.5
        x = (math.sqrt(1 + 15 * rng.random()) - 1) / 3
        signup = SIGNUPS_FROM + timedelta(seconds=round(x * span))
        lapsed = signup < EVENTS_FROM and rng.random() < 0.22
        start = max(signup, EVENTS_FROM)
        if lapsed:
            dormant = EVENTS_FROM
        elif rng.random() < 0.3:
            dormant = start + (AS_OF - start) * rng.random()
        else:
            dormant = AS_OF
        spent = 0.0
        if signup < EVENTS_FROM:
            years = (EVENTS_FROM - signup).days / 365
            spent = round(rng.lognormvariate(math.log(700), 1.5) * min(1.0, 0.3 + years / 2), 2)
        person = Person(
            contact_id=f"c{n:05d}",
            city=city,
            city_text=city_text(rng, city),
            country=city.country if rng.random() > 0.015 else None,
            language=pick(rng, city.languages) if rng.random() > 0.02 else None,
            platform=pick(rng, [("WhatsApp", 62), ("Instagram", 24), ("Webchat", 14)]),
            first_name=messy_name(rng, first),
            last_name=messy_name(rng, last) if rng.random() > 0.04 else None,
            gender=gender(rng, male),
            date_of_birth=birth_date(rng),
            email=email(rng, first, last, city.country, used_emails),
            phone=phone(rng, city.country, used_phones),
            signup_at=signup,
            opted_out=pick(rng, [(False, 85), (True, 8), (None, 7)]),
            engagement=min(60.0, rng.paretovariate(1.3)),
            prior_spent=spent,
            favourite=pick(rng, [(c, w) for c, (_, w) in CATEGORIES.items()]),
            dormant_from=dormant,
            wholesale=rng.random() < 0.05,
        )
        people.append(person)
    # the new-signups window starts at AS_OF - 7d inclusive: one on it, one just before
    people[4100].signup_at = AS_OF - timedelta(days=7)
    people[4101].signup_at = AS_OF - timedelta(days=7, seconds=1)
    for p in (people[4100], people[4101]):
        p.dormant_from = AS_OF
        p.prior_spent = 0.0
    return people


def city_text(rng: random.Random, city: City) -> str | None:
    r = rng.random()
    if r < 0.035:
        return None
    if r < 0.04:
        return ""
    if r < 0.047 and city.country == "IN":
        return rng.choice((city.name.lower(), city.name.upper(), f"{city.name} "))
    return city.name


def messy_name(rng: random.Random, name: str) -> str:
    r = rng.random()
    if r < 0.01:
        return name.upper()
    if r < 0.02:
        return name.lower()
    if r < 0.025:
        return f"  {name} "
    return name


def gender(rng: random.Random, male: bool) -> str | None:
    r = rng.random()
    if r < 0.1:
        return None
    if r < 0.11:
        return "other"
    return "m" if male else "f"


def birth_date(rng: random.Random) -> date | None:
    if rng.random() < 0.15:
        return None
    age = 18 + min(55.0, rng.gammavariate(3.0, 5.0))
    return AS_OF.date() - timedelta(days=round(age * 365.25))


def email(rng: random.Random, first: str, last: str, country: str, used: set[str]) -> str | None:
    if rng.random() < 0.08:
        return None
    f = first.lower().replace("-", "")
    la = last.lower().replace("'", "").replace("-", "")
    local = pick(rng, [(f"{f}.{la}", 40), (f"{f}{la}", 20), (f"{f[0]}{la}", 15), (f, 25)])
    base = local
    while local in used:
        local = f"{base}{rng.randint(1, 99 if len(local) == len(base) else 999)}"
    used.add(local)
    address = f"{local}@{pick(rng, EMAIL_DOMAINS[country])}"
    r = rng.random()
    if r < 0.004:
        return address.split("@")[0] + "@"  # typed half an address
    if r < 0.007:
        return address.replace("@", " at ")
    if r < 0.02:
        return address.replace(local, local.title(), 1).replace("gmail.com", "Gmail.com")
    if r < 0.027:
        return f" {address} "
    if r < 0.032 and address.endswith("gmail.com"):
        return address.replace("@", "+shop@")
    return address


def phone(rng: random.Random, country: str, used: set[str]) -> str | None:
    r = rng.random()
    if r < 0.09:
        return None
    if r < 0.096:
        return rng.choice(("12345", "n/a", "0000000000", "+91 12345", "999", "call me"))
    for _ in range(100):
        text = national_phone(rng, country)
        digits = "".join(ch for ch in text if ch.isdigit())[-8:]
        if digits not in used:
            used.add(digits)
            return text
    return None


def national_phone(rng: random.Random, country: str) -> str:
    def d(k: int) -> str:
        return "".join(str(rng.randint(0, 9)) for _ in range(k))

    if country == "IN":
        m = str(rng.choice((6, 7, 8, 9, 9, 9))) + d(9)
        return pick(
            rng,
            [
                (f"+91 {m[:5]} {m[5:]}", 60),
                (f"+91{m}", 15),
                (f"0{m}", 10),
                (f"{m[:5]} {m[5:]}", 15),
            ],
        )
    if country == "OM":
        m = rng.choice(("9", "9", "7")) + d(7)
        return pick(rng, [(f"+968 {m[:4]} {m[4:]}", 70), (f"{m[:4]} {m[4:]}", 30)])
    if country == "AE":
        m = rng.choice(("50", "52", "54", "55", "56", "58")) + d(7)
        return pick(
            rng, [(f"+971 {m[:2]} {m[2:5]} {m[5:]}", 65), (f"0{m[:2]} {m[2:5]} {m[5:]}", 35)]
        )
    if country == "SA":
        m = "5" + rng.choice("0345689") + d(7)
        return pick(
            rng, [(f"+966 {m[:2]} {m[2:5]} {m[5:]}", 60), (f"0{m[:2]} {m[2:5]} {m[5:]}", 40)]
        )
    if country == "GB":
        m = "7" + rng.choice("4579") + d(8)
        return pick(rng, [(f"+44 {m[:4]} {m[4:]}", 55), (f"0{m[:4]} {m[4:]}", 45)])
    area = rng.choice(("212", "646", "718", "917", "347", "929"))
    line = f"01{d(2)}"
    return pick(
        rng,
        [(f"({area}) 555-{line}", 50), (f"+1 {area}-555-{line}", 30), (f"{area}.555.{line}", 20)],
    )


# -- when things happen ------------------------------------------------------------

# fmt: off
HOUR_SHAPE = (0.3, 0.15, 0.08, 0.05, 0.05, 0.1, 0.3, 0.6, 0.9, 1.1, 1.2, 1.2,
              1.3, 1.2, 1.1, 1.1, 1.2, 1.3, 1.5, 1.8, 2.0, 1.9, 1.4, 0.8)
HOUR_WEIGHT = tuple(h * 24 / sum(HOUR_SHAPE) for h in HOUR_SHAPE)
# local weekday, Monday first; the Gulf weekend is Friday-Saturday
DAY_WEIGHT = {
    "IN": (0.9, 0.92, 0.92, 0.96, 1.0, 1.35, 1.3),
    "GULF": (0.95, 0.95, 0.95, 1.0, 1.35, 1.3, 0.95),
    "WEST": (0.9, 0.92, 0.92, 0.96, 1.05, 1.3, 1.25),
}
SEASONS: dict[str, tuple[tuple[date, date, float], ...]] = {
    "IN": ((date(2025, 8, 13), date(2025, 8, 16), 1.5),  # Independence Day sale
           (date(2025, 10, 10), date(2025, 10, 23), 2.2),  # Diwali
           (date(2026, 3, 1), date(2026, 3, 4), 1.4),  # Holi
           (date(2026, 6, 26), date(2026, 6, 30), 1.5)),  # end-of-season sale
    "GULF": ((date(2025, 11, 27), date(2025, 11, 30), 1.8),  # White Friday
             (date(2026, 2, 18), date(2026, 3, 18), 1.5),  # Ramadan evenings
             (date(2026, 3, 19), date(2026, 3, 22), 2.2),  # Eid al-Fitr
             (date(2026, 6, 26), date(2026, 6, 30), 1.5)),
    "WEST": ((date(2025, 11, 27), date(2025, 12, 1), 2.6),  # Black Friday to Cyber Monday
             (date(2025, 12, 2), date(2025, 12, 20), 1.4),  # Christmas shopping
             (date(2026, 6, 26), date(2026, 6, 30), 1.5)),
}
# fmt: on
PEAK = (  # an upper bound of activity_weight, for thinning
    max(HOUR_WEIGHT)
    * max(max(w) for w in DAY_WEIGHT.values())
    * max(factor for season in SEASONS.values() for _, _, factor in season)
)


def activity_weight(t: datetime, city: City) -> float:
    local = t + timedelta(hours=city.utc_offset)
    season = 1.0
    for first, last, factor in SEASONS[city.region]:
        if first <= local.date() <= last:
            season = factor
    return HOUR_WEIGHT[local.hour] * DAY_WEIGHT[city.region][local.weekday()] * season


def arrivals(
    rng: random.Random,
    start: datetime,
    end: datetime,
    per_day: float,
    weight: Callable[[datetime], float],
) -> list[datetime]:
    """A Poisson process of `per_day` on average, shaped by `weight` (thinning)."""
    out: list[datetime] = []
    t = start
    while per_day > 0:
        t += timedelta(days=rng.expovariate(per_day * PEAK))
        if t >= end:
            break
        if rng.random() * PEAK < weight(t):
            out.append(t)
    return out


class Campaign(NamedTuple):
    day: date
    category: str
    regions: tuple[str, ...]
    reach: float  # share of eligible contacts it is sent to


def campaigns() -> list[Campaign]:
    everyone = ("IN", "GULF", "WEST")
    out: list[Campaign] = []
    day = EVENTS_FROM.date()
    while day <= AS_OF.date():
        if day.weekday() == 1:
            out.append(Campaign(day, "newsletter", everyone, 0.07))
        if day.weekday() == 4:
            out.append(Campaign(day, "promo", everyone, 0.06))
        day += timedelta(days=1)
    festivals = (
        (date(2025, 8, 14), ("IN",)),
        (date(2025, 10, 15), ("IN",)),
        (date(2025, 10, 19), ("IN",)),
        (date(2025, 11, 27), ("GULF", "WEST")),
        (date(2025, 12, 18), ("WEST",)),
        (date(2026, 2, 17), ("GULF",)),
        (date(2026, 3, 2), ("IN",)),
        (date(2026, 3, 18), ("GULF",)),
        (date(2026, 6, 26), everyone),
    )
    out.extend(Campaign(d, "festival", regions, 0.4) for d, regions in festivals)
    return sorted(out)


# -- what happens -----------------------------------------------------------------

# fmt: off
CATEGORIES = {  # category: (typical price, share of interest)
    "electronics": (3500.0, 14.0), "fashion": (1200.0, 24.0), "home": (1500.0, 14.0),
    "beauty": (650.0, 16.0), "grocery": (450.0, 12.0), "sports": (1800.0, 8.0),
    "toys": (900.0, 6.0), "books": (400.0, 6.0),
}
PAGES = (("home", 40), ("catalog", 25), ("offers", 15), ("blog", 8), ("account", 7), ("help", 5))
TICKETS = (("delivery", 40), ("refund", 20), ("payment", 15), ("product", 15), ("account", 10))
# fmt: on


class Simulator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.events: list[Event] = []

    def add(
        self,
        t: datetime,
        p: Person,
        name: str,
        amount: float | None = None,
        category: str | None = None,
        channel: str | None = None,
    ) -> None:
        self.events.append(Event(ms(t), p.contact_id, name, amount, category, channel))

    def gap(self, low: float, high: float) -> timedelta:
        return timedelta(seconds=self.rng.uniform(low, high))

    # messages ----------------------------------------------------------------

    def message(self, p: Person, t: datetime, category: str, *, attentive: bool = False) -> None:
        """The shop sends a message; the contact may read it and reply."""
        rng = self.rng
        self.add(t, p, "message_received", category=category, channel=p.channel)
        quiet = t >= p.dormant_from
        read = 0.92 if attentive else (0.18 if quiet else min(0.92, 0.5 + 0.06 * p.engagement))
        if rng.random() >= read:
            return
        t += timedelta(minutes=rng.expovariate(1 / (15 if attentive else 150)))
        self.add(t, p, "message_read", category=category, channel=p.channel)
        reply = 0.45 if attentive else (0.02 if quiet else min(0.5, 0.06 + 0.035 * p.engagement))
        if rng.random() >= reply:
            return
        t += timedelta(minutes=1 + rng.expovariate(1 / 12))
        self.add(t, p, "message_replied", category=category, channel=p.channel)
        if rng.random() < 0.6:  # an agent answers; the thread may go on
            self.message(p, t + self.gap(60, 1800), "conversation", attentive=True)

    def broadcasts(self, p: Person, plan: list[Campaign]) -> None:
        if not p.broadcasts_ok:
            return
        share = 1.0 if p.platform == "WhatsApp" else 0.6
        for c in plan:
            sent = datetime.combine(c.day, datetime.min.time()) + timedelta(
                hours=11 - p.city.utc_offset
            )
            if sent < p.signup_at or p.city.region not in c.regions:
                continue
            if self.rng.random() < c.reach * share:
                self.message(p, sent + self.gap(0, 2400), c.category)

    # sessions ----------------------------------------------------------------

    def session(
        self,
        p: Person,
        t: datetime,
        *,
        pricing: bool = False,
        demo: bool = False,
        cart: bool = False,
    ) -> None:
        rng = self.rng
        device = "app" if rng.random() < 0.55 else "web"
        if rng.random() < 0.3:
            self.add(t, p, "login", channel=device)
            t += self.gap(2, 30)
        for _ in range(1 + min(8, int(rng.expovariate(0.7)))):
            self.add(t, p, "page_view", category=pick(rng, PAGES), channel=device)
            t += self.gap(8, 150)
        interested = 0.3 if p.wholesale else 0.015
        if pricing or rng.random() < interested:
            self.add(t, p, "pricing_page_view", category="wholesale", channel=device)
            t += self.gap(20, 400)
            if demo or rng.random() < (0.3 if p.wholesale else 0.1):
                self.add(t, p, "demo_request", category="wholesale", channel=device)
                t += self.gap(10, 120)
        if cart or rng.random() < 0.62:
            self.shop(p, t, device, force_cart=cart)

    def shop(self, p: Person, t: datetime, device: str, *, force_cart: bool = False) -> None:
        rng = self.rng
        category = (
            p.favourite
            if rng.random() < 0.7
            else pick(rng, [(c, w) for c, (_, w) in CATEGORIES.items()])
        )
        for _ in range(1 + min(10, int(rng.expovariate(0.6)))):
            self.add(t, p, "product_view", category=category, channel=device)
            t += self.gap(15, 240)
        if not force_cart and rng.random() >= 0.3:
            return
        price = CATEGORIES[category][0]
        cart = 0.0
        for _ in range(1 + int(rng.expovariate(1.6))):
            item = max(49.0, round(rng.lognormvariate(math.log(price), 0.6) / 10) * 10 - 1)
            cart = round(cart + item, 2)
            self.add(t, p, "add_to_cart", amount=item, category=category, channel=device)
            t += self.gap(20, 300)
        if rng.random() < 0.62:
            self.add(t, p, "checkout_started", amount=cart, category=category, channel=device)
            t += self.gap(40, 600)
            if not force_cart and rng.random() < 0.68:
                self.purchase(p, t, cart, category, device)
                return
        elif not force_cart and rng.random() < 0.4:
            return  # the cart just waits
        t += timedelta(minutes=60)  # the shop calls a cart abandoned after an hour idle
        self.add(t, p, "cart_abandoned", category=category, channel=device)
        if p.platform == "WhatsApp" and p.opted_out is not True and rng.random() < 0.75:
            reminder = t + timedelta(minutes=60)
            self.message(p, reminder, "cart_reminder")
            if rng.random() < 0.2:
                back = reminder + timedelta(hours=rng.uniform(0.2, 30))
                self.purchase(p, back, cart, category, device)

    def purchase(self, p: Person, t: datetime, cart: float, category: str, device: str) -> None:
        rng = self.rng
        paid = round(cart * (0.9 if rng.random() < 0.2 else 1.0), 2)  # some use a coupon
        self.add(t, p, "purchase", amount=paid, category=category, channel=device)
        self.message(p, t + self.gap(20, 240), "order_update")
        if rng.random() < 0.6:
            self.message(p, t + timedelta(days=rng.uniform(1, 4)), "order_update")
        if rng.random() < 0.05:
            self.ticket(p, t + timedelta(days=rng.uniform(1, 12)), pick(rng, TICKETS))

    def ticket(self, p: Person, t: datetime, category: str) -> None:
        channel = "email" if self.rng.random() < 0.2 else p.channel
        self.add(t, p, "support_ticket", category=category, channel=channel)
        self.message(p, t + self.gap(300, 7200), "support", attentive=True)

    def live(self, p: Person, plan: list[Campaign]) -> None:
        """Everything one contact does between sign-up (or June 2025) and the reference time."""
        rng = self.rng
        start = max(p.signup_at, EVENTS_FROM)
        if p.signup_at >= EVENTS_FROM:
            self.add(p.signup_at, p, "login", channel="app" if rng.random() < 0.5 else "web")
            if p.broadcasts_ok:
                self.message(p, p.signup_at + self.gap(5, 90), "welcome")
            if rng.random() < 0.7:
                self.session(p, p.signup_at + self.gap(30, 600))
        self.broadcasts(p, plan)

        def shaped(t: datetime) -> float:
            return activity_weight(t, p.city)

        end = min(p.dormant_from, AS_OF)
        for t in arrivals(rng, start, end, BROWSE_RATE * p.engagement, shaped):
            self.session(p, t)
        for t in arrivals(rng, start, end, LOGIN_RATE * p.engagement, shaped):
            self.add(t, p, "login", channel="app" if rng.random() < 0.6 else "web")
        rate = TICKET_RATE * math.sqrt(p.engagement)
        for t in arrivals(rng, start, end, rate, shaped):
            self.ticket(p, t, pick(rng, TICKETS))


# -- planted cases ------------------------------------------------------------------


def plant(sim: Simulator, people: list[Person]) -> None:
    """Behaviour that the example segments look for, including exact window edges."""
    rng = sim.rng

    def ago(p: Person, most: timedelta, least: timedelta) -> datetime:
        """A time between `most` and `least` before AS_OF, and not before p signed up."""
        first = max(AS_OF - most, p.signup_at)
        return first + (AS_OF - least - first) * rng.random()

    month = timedelta(days=30)
    active = [p for p in people if p.dormant_from >= AS_OF and p.signup_at < AS_OF - month]
    chosen = rng.sample(active, 260)
    carts, intent, pricing_only, demo_only, tickets = (
        chosen[:70],
        chosen[70:120],
        chosen[120:150],
        chosen[150:165],
        chosen[165:],
    )
    # abandoned carts in the final 48 hours (some recovered after a reminder)
    for p in carts:
        sim.session(p, ago(p, timedelta(hours=46), timedelta(hours=3)), cart=True)
    # high intent: the pricing page and a demo request in the last 30 days; and some with
    # only one of the two
    day = timedelta(days=1)
    for p in intent:
        sim.session(p, ago(p, month - day, day / 2), pricing=True, demo=True)
    for group, name in ((pricing_only, "pricing_page_view"), (demo_only, "demo_request")):
        for p in group:
            sim.add(ago(p, month - day, day / 2), p, name, category="wholesale", channel="web")
    # repeated support tickets (3, one short of at_risk, to 8) mostly on contacts who
    # stopped buying; a few recent buyers too, whom at_risk must leave out
    recent = AS_OF - timedelta(days=75)
    buyers = {e.contact_id for e in sim.events if e.event == "purchase" and e.ts >= recent}
    for i, p in enumerate(tickets):
        if p.contact_id in buyers and i % 4 != 0:
            continue
        for _ in range(3 if i % 5 == 0 else rng.randint(4, 8)):
            sim.ticket(p, ago(p, timedelta(days=200), day), pick(rng, TICKETS))

    # exact window edges, on lapsed contacts so that nothing else of theirs interferes
    lapsed = [p for p in people if p.dormant_from == EVENTS_FROM and not p.broadcasts_ok]
    second, two_days, month_ago = timedelta(seconds=1), AS_OF - 2 * day, AS_OF - month
    edges: tuple[tuple[Person, datetime, str, float | None, str], ...] = (
        # abandoned_cart_48h: on the window's first instant (in), one second before (out),
        # and a purchase at exactly as_of, which counts (out)
        (lapsed[0], two_days, "cart_abandoned", None, "fashion"),
        (lapsed[1], two_days - second, "cart_abandoned", None, "fashion"),
        (lapsed[2], AS_OF - timedelta(hours=5), "cart_abandoned", None, "home"),
        (lapsed[2], AS_OF, "purchase", 1499.0, "home"),
        # high_intent_leads: the pricing page on the 30-day edge (in), one second before (out)
        (lapsed[3], month_ago, "pricing_page_view", None, "wholesale"),
        (lapsed[3], two_days, "demo_request", None, "wholesale"),
        (lapsed[4], month_ago - second, "pricing_page_view", None, "wholesale"),
        (lapsed[4], two_days, "demo_request", None, "wholesale"),
    )
    for p, t, name, amount, category in edges:
        sim.add(t, p, name, amount=amount, category=category, channel="web")


# -- attributes that summarise behaviour --------------------------------------------


def summarise(rng: random.Random, people: list[Person], events: list[Event]) -> None:
    by_id = {p.contact_id: p for p in people}
    spent: dict[str, float] = {}
    last_login: dict[str, datetime] = {}
    for e in events:
        p = by_id[e.contact_id]
        p.stats[e.event] = p.stats.get(e.event, 0) + 1
        if e.ts >= AS_OF - timedelta(days=30):
            p.stats["events_30d"] = p.stats.get("events_30d", 0) + 1
        if e.event == "purchase" and e.amount is not None:
            spent[e.contact_id] = spent.get(e.contact_id, 0.0) + e.amount
        if e.event == "login" and e.ts > last_login.get(e.contact_id, datetime.min):
            last_login[e.contact_id] = e.ts
    for p in people:
        total = round(p.prior_spent + spent.get(p.contact_id, 0.0), 2)
        p.total_spent = None if rng.random() < 0.012 else total
        lift = rng.uniform(1.0, 1.5) + 0.02 * min(20.0, p.engagement)
        p.lifetime_value = round(total * lift + 40 * p.stats.get("purchase", 0), 2)
        p.tier = tier_for(rng, total)
        demo = p.stats.get("demo_request", 0) > 0
        score = (
            12
            + 9 * math.log1p(p.stats.get("events_30d", 0))
            + 22 * demo
            + 10 * (p.stats.get("pricing_page_view", 0) > 0)
            + 6 * p.wholesale
            + rng.gauss(0, 8)
        )
        p.lead_score = max(0, min(100, round(score)))
        if rng.random() < 0.12:
            p.has_open_deal = None  # never synced from the sales pipeline
        else:
            p.has_open_deal = rng.random() < (0.55 if demo else 0.25 if p.wholesale else 0.04)
        if p.contact_id in last_login:
            p.last_login_at = last_login[p.contact_id]
        elif p.signup_at < EVENTS_FROM and rng.random() < 0.6:
            gap = (EVENTS_FROM - p.signup_at).total_seconds()
            p.last_login_at = p.signup_at + timedelta(seconds=round(rng.uniform(0.2, 1) * gap))
        p.tags = tags_for(rng, p, total)


def tier_for(rng: random.Random, total: float) -> str:
    tiers = ("Bronze", "Silver", "Gold", "Platinum")
    level = 3 if total >= 25000 else 2 if total >= 6000 else 1 if total >= 1500 else 0
    r = rng.random()
    if r < 0.06:
        level = max(0, level - 1)  # tiers are reviewed yearly, so some lag
    elif r < 0.1:
        level = min(3, level + 1)
    return tiers[level]


def tags_for(rng: random.Random, p: Person, total: float) -> list[str] | None:
    if rng.random() < 0.06:
        return None
    chosen = {
        "VIP": rng.random() < (0.35 if total > 20000 else 0.012),
        "newsletter": p.opted_out is not True and rng.random() < 0.4,
        "wholesale": p.wholesale,
        "beta": rng.random() < 0.04,
        "repeat_buyer": p.stats.get("purchase", 0) >= 3,
        "cod_preferred": p.city.country == "IN" and rng.random() < 0.15,
        "diwali_2025": p.city.region == "IN" and rng.random() < 0.08,
        "ramadan_2026": p.city.region == "GULF" and rng.random() < 0.1,
        "influencer": rng.random() < 0.01,
    }
    return [t for t in TAG_ORDER if chosen[t]]


# -- writing ---------------------------------------------------------------------


def contacts_table(people: list[Person]) -> pa.Table:
    text = pa.string()
    columns: list[tuple[str, pa.DataType, list[object]]] = [
        ("contact_id", text, [p.contact_id for p in people]),
        ("first_name", text, [p.first_name for p in people]),
        ("last_name", text, [p.last_name for p in people]),
        ("email", text, [p.email for p in people]),
        ("phone", text, [p.phone for p in people]),
        ("city", text, [p.city_text for p in people]),
        ("country", text, [p.country for p in people]),
        ("language", text, [p.language for p in people]),
        ("platform", text, [p.platform for p in people]),
        ("tier", text, [p.tier for p in people]),
        ("total_spent", pa.float64(), [p.total_spent for p in people]),
        ("lifetime_value", pa.float64(), [p.lifetime_value for p in people]),
        ("lead_score", pa.int8(), [p.lead_score for p in people]),
        ("has_open_deal", pa.bool_(), [p.has_open_deal for p in people]),
        ("signup_at", pa.timestamp("us"), [p.signup_at for p in people]),
        ("last_login_at", pa.timestamp("us"), [p.last_login_at for p in people]),
        ("tags", pa.list_(text), [p.tags for p in people]),
        ("opted_out", pa.bool_(), [p.opted_out for p in people]),
        ("date_of_birth", pa.date32(), [p.date_of_birth for p in people]),
        ("gender", text, [p.gender for p in people]),
    ]
    return pa.table({name: pa.array(values, type=kind) for name, kind, values in columns})


def events_table(events: list[Event]) -> pa.Table:
    text = pa.string()
    return pa.table(
        {
            "contact_id": pa.array([e.contact_id for e in events], type=text),
            "event": pa.array([e.event for e in events], type=text),
            "ts": pa.array([e.ts for e in events], type=pa.timestamp("us")),
            "event_id": pa.array([f"ev{i:07d}" for i in range(1, len(events) + 1)], type=text),
            "amount": pa.array([e.amount for e in events], type=pa.float64()),
            "category": pa.array([e.category for e in events], type=text),
            "channel": pa.array([e.channel for e in events], type=text),
        }
    )


def write(
    table: pa.Table, path: Path, *, unique: Sequence[str] = (), ascending: Sequence[str] = ()
) -> None:
    """zstd Parquet; text columns dictionary-encoded except `unique` ones (a dictionary of
    all-distinct values only costs space), `ascending` integer-like columns delta-encoded."""
    plain = set(unique) | set(ascending)
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=9,
        row_group_size=50_000,
        use_dictionary=[name for name in table.column_names if name not in plain],
        column_encoding=dict.fromkeys(ascending, "DELTA_BINARY_PACKED") or None,
    )


def main() -> None:
    rng = random.Random(SEED)
    people = make_people(rng)
    plan = campaigns()
    sim = Simulator(rng)
    for p in people:
        sim.live(p, plan)
    plant(sim, people)
    events = sorted(
        (e for e in sim.events if e.ts <= AS_OF),  # later ones have not happened yet
        key=lambda e: (e.ts, e.contact_id, e.event),
    )
    summarise(rng, people, events)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    write(contacts_table(people), OUT_DIR / "contacts.parquet", unique=["contact_id"])
    write(events_table(events), OUT_DIR / "events.parquet", unique=["event_id"], ascending=["ts"])
    meta = {
        "as_of": AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": SEED,
        "contacts": len(people),
        "events": len(events),
        "description": (
            "A WhatsApp-first shop selling across India, the Gulf, London and New York: "
            "contacts with profile, consent and spend attributes, and thirteen months of "
            "messaging, browsing, funnel, support and login events up to as_of."
        ),
    }
    text = json.dumps(meta, indent=2) + "\n"
    (OUT_DIR / "sample.json").write_text(text, encoding="utf-8")
    print(f"{len(people)} contacts, {len(events)} events -> {OUT_DIR}")


if __name__ == "__main__":
    main()
