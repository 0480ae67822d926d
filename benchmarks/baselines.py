"""The seed segments written by hand in polars (lazy) and pandas, over the raw input.

Each function returns the members' contact_ids, each once. The polars versions
take `scan_parquet` frames and return a LazyFrame (the runner collects it); the
pandas versions read what they need with `read_parquet` (columns and a pyarrow
filter on event names and time, as a careful pandas user would) and return a
pandas Index. Windows are the same constants as benchmarks/queries/*.sql.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import polars as pl

from benchmarks.common import AS_OF_NAIVE

AS_OF = AS_OF_NAIVE
H48 = AS_OF - timedelta(hours=48)
D7 = AS_OF - timedelta(days=7)
D15 = AS_OF - timedelta(days=15)
D30 = AS_OF - timedelta(days=30)
D90 = AS_OF - timedelta(days=90)
D365 = AS_OF - timedelta(days=365)
FESTIVAL_START = datetime(2025, 8, 20)
FESTIVAL_END = datetime(2025, 9, 11)  # exclusive: 2025-09-10 is a whole day
CITIES = ["Mumbai", "Pune", "Nagpur"]
SHOPPING = ["product_view", "add_to_cart", "purchase"]
OUTREACH = ["email_sent", "whatsapp_sent"]
RESPONSES = ["email_open", "email_click", "whatsapp_read", "message_reply"]

PolarsSegment = Callable[[pl.LazyFrame, pl.LazyFrame], pl.LazyFrame]
PandasSegment = Callable[[Path, Path], pd.Index]

ID = "contact_id"

# -- polars ---------------------------------------------------------------------------


def _pl_window(
    e: pl.LazyFrame, names: Sequence[str], start: datetime, end: datetime = AS_OF
) -> pl.LazyFrame:
    return e.filter(pl.col("event").is_in(names) & pl.col("ts").is_between(start, end))


def _pl_ids(frame: pl.LazyFrame) -> pl.LazyFrame:
    return frame.select(ID).unique()


def pl_new_signups_7d(c: pl.LazyFrame, e: pl.LazyFrame) -> pl.LazyFrame:
    return c.filter(pl.col("signup_at").is_between(D7, AS_OF)).select(ID)


def pl_abandoned_cart_48h(c: pl.LazyFrame, e: pl.LazyFrame) -> pl.LazyFrame:
    carts = _pl_ids(_pl_window(e, ["add_to_cart"], H48))
    buys = _pl_ids(_pl_window(e, ["purchase"], H48))
    return carts.join(buys, on=ID, how="anti")


def pl_regional_festival(c: pl.LazyFrame, e: pl.LazyFrame) -> pl.LazyFrame:
    festive = e.filter(
        pl.col("event").is_in(SHOPPING)
        & (pl.col("category") == "festive")
        & (pl.col("ts") >= FESTIVAL_START)
        & (pl.col("ts") < FESTIVAL_END)
    )
    return c.filter(pl.col("city").is_in(CITIES)).join(festive, on=ID, how="semi").select(ID)


def pl_high_intent_leads(c: pl.LazyFrame, e: pl.LazyFrame) -> pl.LazyFrame:
    views = _pl_window(e, ["pricing_page_view"], D30)
    buys = _pl_window(e, ["purchase"], D30)
    return (
        c.filter(pl.col("lead_score") >= 60)
        .join(views, on=ID, how="semi")
        .join(buys, on=ID, how="anti")
        .select(ID)
    )


def pl_non_responsive_15d(c: pl.LazyFrame, e: pl.LazyFrame) -> pl.LazyFrame:
    messaged = (
        _pl_window(e, OUTREACH, D15)
        .group_by(ID)
        .agg(pl.len().alias("messages"))
        .filter(pl.col("messages") >= 2)
    )
    responded = _pl_window(e, RESPONSES, D15)
    return messaged.join(responded, on=ID, how="anti").select(ID)


def pl_inactive_loyal(c: pl.LazyFrame, e: pl.LazyFrame) -> pl.LazyFrame:
    buys = _pl_window(e, ["purchase"], D90)
    return c.filter(pl.col("total_spent") > 10000).join(buys, on=ID, how="anti").select(ID)


def _pl_vip(c: pl.LazyFrame, e: pl.LazyFrame) -> pl.LazyFrame:
    buyers = (
        _pl_window(e, ["purchase"], D365)
        .group_by(ID)
        .agg(pl.len().alias("orders"), pl.col("amount").sum().alias("spent"))
        .filter((pl.col("orders") >= 5) & (pl.col("spent") > 5000))
    )
    return c.join(buyers, on=ID, how="left").filter(
        pl.col("tags").list.contains("VIP").fill_null(False) | pl.col("orders").is_not_null()
    )


def pl_vip(c: pl.LazyFrame, e: pl.LazyFrame) -> pl.LazyFrame:
    return _pl_vip(c, e).select(ID)


def pl_at_risk(c: pl.LazyFrame, e: pl.LazyFrame) -> pl.LazyFrame:
    facts = (
        e.filter(pl.col("event").is_in(["purchase", "session_start"]) & (pl.col("ts") <= AS_OF))
        .group_by(ID)
        .agg(
            (pl.col("event") == "purchase").sum().alias("purchases"),
            pl.col("ts").filter(pl.col("event") == "session_start").max().alias("last_session"),
        )
        .filter((pl.col("purchases") >= 3) & (pl.col("last_session") < D30))
    )
    return c.filter(pl.col("opted_out").ne_missing(True)).join(facts, on=ID, how="semi").select(ID)


def pl_gold_in_oman(c: pl.LazyFrame, e: pl.LazyFrame) -> pl.LazyFrame:
    return c.filter((pl.col("tier") == "Gold") & (pl.col("country") == "OM")).select(ID)


def pl_whatsapp_opted_in(c: pl.LazyFrame, e: pl.LazyFrame) -> pl.LazyFrame:
    return c.filter(
        pl.col("whatsapp_opt_in") & pl.col("phone").is_not_null() & (pl.col("phone") != "")
    ).select(ID)


def pl_vip_arabic(c: pl.LazyFrame, e: pl.LazyFrame) -> pl.LazyFrame:
    return _pl_vip(c, e).filter(pl.col("language") == "ar").select(ID)


POLARS: dict[str, PolarsSegment] = {
    "new_signups_7d": pl_new_signups_7d,
    "abandoned_cart_48h": pl_abandoned_cart_48h,
    "regional_festival": pl_regional_festival,
    "high_intent_leads": pl_high_intent_leads,
    "non_responsive_15d": pl_non_responsive_15d,
    "inactive_loyal": pl_inactive_loyal,
    "vip": pl_vip,
    "at_risk": pl_at_risk,
    "gold_in_oman": pl_gold_in_oman,
    "whatsapp_opted_in": pl_whatsapp_opted_in,
    "vip_arabic": pl_vip_arabic,
}


def scan_polars(contacts: Path, events: Sequence[Path]) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    return pl.scan_parquet(contacts), pl.scan_parquet([str(p) for p in events])


# -- pandas ---------------------------------------------------------------------------


def _pd_contacts(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    return pd.read_parquet(path, columns=[ID, *columns])


def _pd_events(
    folder: Path,
    names: Sequence[str],
    start: datetime | None,
    end: datetime = AS_OF,
    columns: Sequence[str] = (),
    end_inclusive: bool = True,
) -> pd.DataFrame:
    filters: list[tuple[str, str, object]] = [("event", "in", list(names))]
    if start is not None:
        filters.append(("ts", ">=", start))
    filters.append(("ts", "<=" if end_inclusive else "<", end))
    return pd.read_parquet(folder, columns=[ID, "event", "ts", *columns], filters=filters)


def pd_new_signups_7d(contacts: Path, events: Path) -> pd.Index:
    c = _pd_contacts(contacts, ["signup_at"])
    return pd.Index(c.loc[c["signup_at"].between(D7, AS_OF), ID])


def pd_abandoned_cart_48h(contacts: Path, events: Path) -> pd.Index:
    e = _pd_events(events, ["add_to_cart", "purchase"], H48)
    carts = pd.Index(e.loc[e["event"] == "add_to_cart", ID].unique())
    buys = pd.Index(e.loc[e["event"] == "purchase", ID].unique())
    return carts.difference(buys)


def pd_regional_festival(contacts: Path, events: Path) -> pd.Index:
    c = _pd_contacts(contacts, ["city"])
    e = _pd_events(
        events, SHOPPING, FESTIVAL_START, FESTIVAL_END, ["category"], end_inclusive=False
    )
    festive = e.loc[e["category"] == "festive", ID].unique()
    local = c.loc[c["city"].isin(CITIES), ID]
    return pd.Index(local[local.isin(festive)])


def pd_high_intent_leads(contacts: Path, events: Path) -> pd.Index:
    c = _pd_contacts(contacts, ["lead_score"])
    e = _pd_events(events, ["pricing_page_view", "purchase"], D30)
    viewed = e.loc[e["event"] == "pricing_page_view", ID].unique()
    bought = e.loc[e["event"] == "purchase", ID].unique()
    ids = c.loc[c["lead_score"] >= 60, ID]
    return pd.Index(ids[ids.isin(viewed) & ~ids.isin(bought)])


def pd_non_responsive_15d(contacts: Path, events: Path) -> pd.Index:
    e = _pd_events(events, OUTREACH + RESPONSES, D15)
    messages = e.loc[e["event"].isin(OUTREACH)].groupby(ID).size()
    messaged = pd.Index(messages[messages >= 2].index)
    responded = pd.Index(e.loc[e["event"].isin(RESPONSES), ID].unique())
    return messaged.difference(responded)


def pd_inactive_loyal(contacts: Path, events: Path) -> pd.Index:
    c = _pd_contacts(contacts, ["total_spent"])
    e = _pd_events(events, ["purchase"], D90)
    ids = c.loc[c["total_spent"] > 10000, ID]
    return pd.Index(ids[~ids.isin(e[ID].unique())])


def _pd_vip(contacts: Path, events: Path, columns: Sequence[str] = ()) -> pd.DataFrame:
    c = _pd_contacts(contacts, ["tags", *columns])
    e = _pd_events(events, ["purchase"], D365, columns=["amount"])
    per = e.groupby(ID).agg(orders=("amount", "size"), spent=("amount", "sum"))
    buyers = per.index[(per["orders"] >= 5) & (per["spent"] > 5000)]
    tagged = c["tags"].map(lambda tags: tags is not None and "VIP" in tags)
    return c.loc[tagged | c[ID].isin(buyers)]


def pd_vip(contacts: Path, events: Path) -> pd.Index:
    return pd.Index(_pd_vip(contacts, events)[ID])


def pd_at_risk(contacts: Path, events: Path) -> pd.Index:
    c = _pd_contacts(contacts, ["opted_out"])
    e = _pd_events(events, ["purchase", "session_start"], None)
    purchases = e.loc[e["event"] == "purchase"].groupby(ID).size()
    last_session = e.loc[e["event"] == "session_start"].groupby(ID)["ts"].max()
    frequent = purchases.index[purchases >= 3]
    quiet = last_session.index[last_session < D30]
    ids = c.loc[c["opted_out"].ne(True), ID]  # missing counts as not opted out
    return pd.Index(ids[ids.isin(frequent) & ids.isin(quiet)])


def pd_gold_in_oman(contacts: Path, events: Path) -> pd.Index:
    c = _pd_contacts(contacts, ["tier", "country"])
    return pd.Index(c.loc[(c["tier"] == "Gold") & (c["country"] == "OM"), ID])


def pd_whatsapp_opted_in(contacts: Path, events: Path) -> pd.Index:
    c = _pd_contacts(contacts, ["whatsapp_opt_in", "phone"])
    opted = c["whatsapp_opt_in"].eq(True) & c["phone"].notna() & c["phone"].ne("")
    return pd.Index(c.loc[opted, ID])


def pd_vip_arabic(contacts: Path, events: Path) -> pd.Index:
    vip = _pd_vip(contacts, events, ["language"])
    return pd.Index(vip.loc[vip["language"] == "ar", ID])


PANDAS: dict[str, PandasSegment] = {
    "new_signups_7d": pd_new_signups_7d,
    "abandoned_cart_48h": pd_abandoned_cart_48h,
    "regional_festival": pd_regional_festival,
    "high_intent_leads": pd_high_intent_leads,
    "non_responsive_15d": pd_non_responsive_15d,
    "inactive_loyal": pd_inactive_loyal,
    "vip": pd_vip,
    "at_risk": pd_at_risk,
    "gold_in_oman": pd_gold_in_oman,
    "whatsapp_opted_in": pd_whatsapp_opted_in,
    "vip_arabic": pd_vip_arabic,
}
