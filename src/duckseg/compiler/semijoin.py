"""A segment's query on its own, when it walks the contacts: event conditions as semi-joins.

The shared fact pass aggregates every qualifying event per contact so that one
scan answers every condition of a build. A segment that walks the contacts
anyway (it tests an attribute, or contacts without events can match it) is
faster asking each event condition on its own,
`contacts.contact_id IN (SELECT contact_id FROM events WHERE ...)`:

- a condition that only contacts with qualifying events meet is the set of
  those contacts, grouped only when a count or an aggregate must be tested
  (`performed` is plain existence: no aggregation of anyone's history);
- one that a contact without events meets (`not_performed`, `count < 2`) is
  NOT IN the set of contacts with qualifying events that fail it;
- an OR's conditions of the first kind are read from the events alone and
  united with the contacts that meet the rest (`tagged VIP or 5+ purchases`).

Faster than the fact pass joined to every contact for each seed segment that
reads events (benchmarks/RESULTS.md). An AND's event conditions stay
IN-subqueries, not INTERSECT arms: a set operation builds its hash table on the
events side, which helps for a rare event and hurts for a common one next to a
selective attribute.

Relies on what a landing guarantees: contact_id is never missing, in either
table, so `IN` is two-valued, and every event's contact is a contact.
"""

from __future__ import annotations

from typing import TypeGuard, assert_never

from sqlglot import exp

from duckseg.compiler.facts import facts_of
from duckseg.compiler.lifecycle import periods_met
from duckseg.compiler.rewrites import flatten_groups, lower, times_as_counts
from duckseg.compiler.shapes import count_from_one, matches_without_events
from duckseg.compiler.sqlbuild import CONTACTS, EVENTS, KEY, SqlBuilder, column, safe_comment
from duckseg.lang import ir
from duckseg.lang.describe import describe
from duckseg.lang.time import Duration

# Lowered trees are lowered a little further here (see times_as_counts).
SEMI_JOIN_RULES = (times_as_counts, flatten_groups)
MEMBERS = "members"
CHAINS = "chains"


class SemiJoinBuilder(SqlBuilder):
    """Predicates over `contacts` alone: every event condition is a subquery on `events`."""

    def members(self, tree: ir.Node) -> exp.Select:
        """SELECT contact_id of the contacts that `tree` (already lowered) matches."""
        tree = lower(tree, SEMI_JOIN_RULES)
        children = tree.children if isinstance(tree, ir.AnyOf) else ()
        direct = [c for c in children if _events_alone(c)]
        if not direct:
            return self.contacts_where(tree)
        rest = [c for c in children if not _events_alone(c)]
        arms = [self.contacts_meeting(node) for node in direct]
        if rest:
            arms.insert(
                0, self.contacts_where(rest[0] if len(rest) == 1 else ir.AnyOf(tuple(rest)))
            )
        union = exp.union(*arms, distinct=True)
        return exp.select(column(KEY, MEMBERS)).from_(exp.alias_(union.subquery(), MEMBERS))

    def contacts_where(self, tree: ir.Node) -> exp.Select:
        query = exp.select(column(KEY, CONTACTS)).from_(exp.to_table(CONTACTS))
        if isinstance(tree, ir.AllOf) and not tree.children:
            return query
        return query.where(self.predicate(tree))

    def visit_EventTest(self, node: ir.EventTest) -> exp.Expr:
        if matches_without_events(node):
            # Its complement is met only by contacts with qualifying events.
            every = node.aggregate is None and count_from_one(node.count) is False
            having = None if every else self.group_test(node, True)
            query = self.subquery(node.filter, having)
            query.add_comments([safe_comment(f"contacts who: {describe(ir.Not(node))}")])
            return exp.not_(self.member_of(query))
        return self.member_of(self.contacts_meeting(node))

    def visit_EventTimeTest(self, node: ir.EventTimeTest) -> exp.Expr:
        return self.member_of(self.contacts_meeting(node))

    def visit_RegularTest(self, node: ir.RegularTest) -> exp.Expr:
        return self.member_of(self.contacts_meeting(node))

    def contacts_meeting(self, node: Direct) -> exp.Select:
        """The contact_ids (possibly repeated) meeting `node`, an event condition that no
        contact without events meets."""
        match node:
            case ir.EventTest():
                every = node.aggregate is None and count_from_one(node.count) is True
                having = None if every else self.group_test(node, False)
                query = self.subquery(node.filter, having)
            case ir.EventTimeTest():
                time = self.aggregate(facts_of(node)[0], filtered=False)
                query = self.subquery(node.filter, self.event_time_test(node, time))
            case ir.RegularTest():
                # One scan of all the periods, a count per period in each contact's group.
                counts = [self.aggregate(fact) for fact in facts_of(node)]
                span = Duration(node.every.amount * node.periods, node.every.unit)
                flt = ir.EventFilter(node.filter.events, node.filter.where, ir.WindowLast(span))
                query = self.subquery(flt, periods_met(node, counts))
            case ir.SequenceTest():
                # Its WITH cannot stand as an arm of a UNION: read it as a derived table.
                chains = self.sequence(node).subquery(CHAINS)
                return exp.select(column(KEY, CHAINS)).from_(chains)
            case _:
                assert_never(node)
        query.add_comments([safe_comment(f"contacts who: {describe(node)}")])
        return query

    def group_test(self, node: ir.EventTest, negate: bool) -> exp.Expr:
        """The test on the aggregates of one contact's qualifying events (or its negation)."""
        values = [self.aggregate(fact, filtered=False) for fact in facts_of(node)]
        test = self.event_test(node, values, grouped=True)
        return exp.not_(exp.paren(test)) if negate else test

    def subquery(self, flt: ir.EventFilter, having: exp.Expr | None) -> exp.Select:
        """The contacts with qualifying events (whose group passes `having`)."""
        query = (
            exp.select(column(KEY, EVENTS))
            .from_(exp.to_table(EVENTS))
            .where(self.event_predicate(flt))
        )
        if having is None:
            return query
        return query.group_by(column(KEY, EVENTS)).having(having)

    def member_of(self, query: exp.Select) -> exp.Expr:
        return column(KEY, CONTACTS).isin(query=query)


Direct = ir.EventTest | ir.EventTimeTest | ir.RegularTest | ir.SequenceTest


def _events_alone(node: ir.Node) -> TypeGuard[Direct]:
    """An event condition that only contacts with qualifying events meet: its members can be
    read from the events alone."""
    return isinstance(node, Direct) and not matches_without_events(node)
