import { describe, expect, it } from 'vitest';
import type { Condition } from './condition';
import { compileCondition, jsonPath } from './compile';
import { Params } from './params';

// Fixed clock: relative windows become these epoch ms (2026-01-31T00:00:00Z minus N days/hours).
const NOW = Date.UTC(2026, 0, 31);

// Every operator, every value kind and every combinator, with the exact SQL and bound values.
// Names and values only ever appear in the values column, never in the SQL text.
const CASES: [string, Condition, string, (string | number | null)[]][] = [
  [
    "trait eq",
    {"trait": "plan", "op": "eq", "value": "pro"},
    "coalesce(json_extract(p.traits, ?1) = ?2, 0)",
    ["$.\"plan\"", "pro"],
  ],
  [
    "trait neq (matches a missing trait)",
    {"trait": "plan", "op": "neq", "value": "pro"},
    "coalesce(json_extract(p.traits, ?1) IS NOT ?2, 0)",
    ["$.\"plan\"", "pro"],
  ],
  [
    "trait gt number (numbers only)",
    {"trait": "age", "op": "gt", "value": 30},
    "coalesce((json_type(p.traits, ?1) IN ('integer', 'real') AND json_extract(p.traits, ?1) > ?2), 0)",
    ["$.\"age\"", 30],
  ],
  [
    "trait gte number",
    {"trait": "age", "op": "gte", "value": 30},
    "coalesce((json_type(p.traits, ?1) IN ('integer', 'real') AND json_extract(p.traits, ?1) >= ?2), 0)",
    ["$.\"age\"", 30],
  ],
  [
    "trait lte number",
    {"trait": "age", "op": "lte", "value": 30},
    "coalesce((json_type(p.traits, ?1) IN ('integer', 'real') AND json_extract(p.traits, ?1) <= ?2), 0)",
    ["$.\"age\"", 30],
  ],
  [
    "trait lt ISO date",
    {"trait": "trialEnds", "op": "lt", "value": "2026-02-01"},
    "coalesce((json_type(p.traits, ?1) = 'text' AND CAST(unixepoch(json_extract(p.traits, ?1), 'subsec') * 1000 AS INTEGER) < ?2), 0)",
    ["$.\"trialEnds\"", 1769904000000],
  ],
  [
    "trait gte daysAgo",
    {"trait": "signedUpAt", "op": "gte", "value": {"daysAgo": 7}},
    "coalesce((json_type(p.traits, ?1) = 'text' AND CAST(unixepoch(json_extract(p.traits, ?1), 'subsec') * 1000 AS INTEGER) >= ?2), 0)",
    ["$.\"signedUpAt\"", 1769212800000],
  ],
  [
    "trait eq boolean",
    {"trait": "vip", "op": "eq", "value": true},
    "coalesce(json_type(p.traits, ?1) = ?2, 0)",
    ["$.\"vip\"", "true"],
  ],
  [
    "trait neq boolean",
    {"trait": "vip", "op": "neq", "value": false},
    "coalesce(json_type(p.traits, ?1) IS NOT ?2, 0)",
    ["$.\"vip\"", "false"],
  ],
  [
    "trait in",
    {"trait": "country", "op": "in", "value": ["ID", "SG"]},
    "coalesce(json_extract(p.traits, ?1) IN (SELECT value FROM json_each(?2)), 0)",
    ["$.\"country\"", "[\"ID\",\"SG\"]"],
  ],
  [
    "trait contains (array element or substring)",
    {"trait": "tags", "op": "contains", "value": "spicy"},
    "coalesce((CASE json_type(p.traits, ?1) WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each(p.traits, ?1) j WHERE j.value = ?2) WHEN 'text' THEN instr(json_extract(p.traits, ?1), ?2) > 0 ELSE 0 END), 0)",
    ["$.\"tags\"", "spicy"],
  ],
  [
    "trait startsWith",
    {"trait": "email", "op": "startsWith", "value": "a"},
    "coalesce((json_type(p.traits, ?1) = 'text' AND substr(json_extract(p.traits, ?1), 1, length(?2)) = ?2), 0)",
    ["$.\"email\"", "a"],
  ],
  [
    "trait exists",
    {"trait": "email", "op": "exists"},
    "coalesce(coalesce(json_type(p.traits, ?1), 'null') <> 'null', 0)",
    ["$.\"email\""],
  ],
  [
    "trait notExists",
    {"trait": "email", "op": "notExists"},
    "coalesce(coalesce(json_type(p.traits, ?1), 'null') = 'null', 0)",
    ["$.\"email\""],
  ],
  [
    "computed column number",
    {"computed": "revenue", "op": "gte", "value": 100},
    "coalesce(p.revenue >= ?1, 0)",
    [100],
  ],
  [
    "computed column eventCount neq",
    {"computed": "eventCount", "op": "neq", "value": 0},
    "coalesce(p.event_count IS NOT ?1, 0)",
    [0],
  ],
  [
    "computed date column with daysAgo",
    {"computed": "lastSeen", "op": "lt", "value": {"daysAgo": 30}},
    "coalesce(p.last_seen < ?1, 0)",
    [1767225600000],
  ],
  [
    "computed date column with ISO",
    {"computed": "firstSeen", "op": "gte", "value": "2026-01-01T00:00:00Z"},
    "coalesce(p.first_seen >= ?1, 0)",
    [1767225600000],
  ],
  [
    "computed date column in",
    {"computed": "firstSeen", "op": "in", "value": ["2026-01-01", 1767312000000]},
    "coalesce(p.first_seen IN (SELECT value FROM json_each(?1)), 0)",
    ["[1767225600000,1767312000000]"],
  ],
  [
    "computed date column exists",
    {"computed": "lastSeen", "op": "exists"},
    "coalesce(p.last_seen IS NOT NULL, 0)",
    [],
  ],
  [
    "computed date column notExists",
    {"computed": "firstSeen", "op": "notExists"},
    "coalesce(p.first_seen IS NULL, 0)",
    [],
  ],
  [
    "computed JSON path",
    {"computed": "eventCounts.Order Completed", "op": "gte", "value": 3},
    "coalesce((json_type(p.computed, ?1) IN ('integer', 'real') AND json_extract(p.computed, ?1) >= ?2), 0)",
    ["$.\"eventCounts\".\"Order Completed\"", 3],
  ],
  [
    "event at least once",
    {"event": "Order Completed"},
    "EXISTS (SELECT 1 FROM profiles ep JOIN events e ON e.profile_id = ep.id WHERE ep.workspace_id = p.workspace_id AND ep.canonical_id = p.id AND e.event = ?1)",
    ["Order Completed"],
  ],
  [
    "any event within hours",
    {"event": "*", "within": {"hours": 48}},
    "EXISTS (SELECT 1 FROM profiles ep JOIN events e ON e.profile_id = ep.id WHERE ep.workspace_id = p.workspace_id AND ep.canonical_id = p.id AND e.timestamp >= ?1)",
    [1769644800000],
  ],
  [
    "event with where, window and count gte",
    {"event": "Order Completed", "where": [{"property": "category", "op": "eq", "value": "spicy"}], "within": {"days": 30}, "count": {"gte": 3}},
    "((SELECT count(*) FROM (SELECT 1 FROM profiles ep JOIN events e ON e.profile_id = ep.id WHERE ep.workspace_id = p.workspace_id AND ep.canonical_id = p.id AND e.event = ?1 AND e.timestamp >= ?2 AND coalesce(json_extract(e.properties, ?3) = ?4, 0) LIMIT ?5)) >= ?5)",
    ["Order Completed", 1767225600000, "$.\"category\"", "spicy", 3],
  ],
  [
    "event between dates, count eq",
    {"event": "X", "within": {"from": "2026-01-01", "to": "2026-01-31"}, "count": {"eq": 2}},
    "((SELECT count(*) FROM profiles ep JOIN events e ON e.profile_id = ep.id WHERE ep.workspace_id = p.workspace_id AND ep.canonical_id = p.id AND e.event = ?1 AND e.timestamp >= ?2 AND e.timestamp <= ?3) = ?4)",
    ["X", 1767225600000, 1769817600000, 2],
  ],
  [
    "event count lte",
    {"event": "X", "count": {"lte": 2}},
    "((SELECT count(*) FROM profiles ep JOIN events e ON e.profile_id = ep.id WHERE ep.workspace_id = p.workspace_id AND ep.canonical_id = p.id AND e.event = ?1) <= ?2)",
    ["X", 2],
  ],
  [
    "event count gte and lte",
    {"event": "X", "count": {"gte": 2, "lte": 4}},
    "((SELECT count(*) FROM profiles ep JOIN events e ON e.profile_id = ep.id WHERE ep.workspace_id = p.workspace_id AND ep.canonical_id = p.id AND e.event = ?1) >= ?2 AND (SELECT count(*) FROM profiles ep JOIN events e ON e.profile_id = ep.id WHERE ep.workspace_id = p.workspace_id AND ep.canonical_id = p.id AND e.event = ?1) <= ?3)",
    ["X", 2, 4],
  ],
  [
    "event count eq 0",
    {"event": "X", "count": {"eq": 0}},
    "(NOT EXISTS (SELECT 1 FROM profiles ep JOIN events e ON e.profile_id = ep.id WHERE ep.workspace_id = p.workspace_id AND ep.canonical_id = p.id AND e.event = ?1))",
    ["X"],
  ],
  [
    "segment membership, and, not",
    {"and": [{"segment": "buyers"}, {"not": {"trait": "plan", "op": "eq", "value": "pro"}}]},
    "(EXISTS (SELECT 1 FROM segment_members sm WHERE sm.workspace_id = p.workspace_id AND sm.segment_key = ?1 AND sm.profile_id = p.id) AND (NOT coalesce(json_extract(p.traits, ?2) = ?3, 0)))",
    ["buyers", "$.\"plan\"", "pro"],
  ],
  [
    "or (shared placeholders)",
    {"or": [{"trait": "a", "op": "eq", "value": 1}, {"trait": "a", "op": "eq", "value": "1"}]},
    "(coalesce(json_extract(p.traits, ?1) = ?2, 0) OR coalesce(json_extract(p.traits, ?1) = ?3, 0))",
    ["$.\"a\"", 1, "1"],
  ],
];

// The set strategy (backfill, cron, preview): event conditions become one uncorrelated subquery.
const SET_CASES: [string, Condition, string, (string | number | null)[]][] = [
  [
    "set: at least once",
    {"event": "Order Completed"},
    "(p.id IN (SELECT ep.canonical_id FROM events e JOIN profiles ep ON ep.id = e.profile_id WHERE e.workspace_id = ?1 AND e.event = ?2))",
    ["ws_1", "Order Completed"],
  ],
  [
    "set: gte with where and window",
    {"event": "Order Completed", "where": [{"property": "category", "op": "eq", "value": "spicy"}], "within": {"days": 30}, "count": {"gte": 3}},
    "(p.id IN (SELECT ep.canonical_id FROM events e JOIN profiles ep ON ep.id = e.profile_id WHERE e.workspace_id = ?1 AND e.event = ?2 AND e.timestamp >= ?3 AND coalesce(json_extract(e.properties, ?4) = ?5, 0) GROUP BY ep.canonical_id HAVING count(*) >= ?6))",
    ["ws_1", "Order Completed", 1767225600000, "$.\"category\"", "spicy", 3],
  ],
  [
    "set: never (eq 0)",
    {"event": "*", "within": {"hours": 48}, "count": {"eq": 0}},
    "(p.id NOT IN (SELECT ep.canonical_id FROM events e JOIN profiles ep ON ep.id = e.profile_id WHERE e.workspace_id = ?1 AND e.timestamp >= ?2))",
    ["ws_1", 1769644800000],
  ],
  [
    "set: at most (lte)",
    {"event": "X", "count": {"lte": 2}},
    "(p.id NOT IN (SELECT ep.canonical_id FROM events e JOIN profiles ep ON ep.id = e.profile_id WHERE e.workspace_id = ?1 AND e.event = ?2 GROUP BY ep.canonical_id HAVING count(*) > ?3))",
    ["ws_1", "X", 2],
  ],
  [
    "set: exactly (eq)",
    {"event": "X", "count": {"eq": 2}},
    "(p.id IN (SELECT ep.canonical_id FROM events e JOIN profiles ep ON ep.id = e.profile_id WHERE e.workspace_id = ?1 AND e.event = ?2 GROUP BY ep.canonical_id HAVING count(*) = ?3))",
    ["ws_1", "X", 2],
  ],
  [
    "set: range (gte, lte)",
    {"event": "X", "within": {"from": "2026-01-01", "to": "2026-01-31"}, "count": {"gte": 2, "lte": 4}},
    "(p.id IN (SELECT ep.canonical_id FROM events e JOIN profiles ep ON ep.id = e.profile_id WHERE e.workspace_id = ?1 AND e.event = ?2 AND e.timestamp >= ?3 AND e.timestamp <= ?4 GROUP BY ep.canonical_id HAVING count(*) BETWEEN ?5 AND ?6))",
    ["ws_1", "X", 1767225600000, 1769817600000, 2, 4],
  ],
  [
    "set: gte 0 is always true, nothing bound",
    {"event": "X", "count": {"gte": 0}},
    "1",
    [],
  ],
  [
    "set: inside not, beside a trait",
    {"and": [{"trait": "plan", "op": "eq", "value": "pro"}, {"not": {"event": "Order Completed", "within": {"days": 2}}}]},
    "(coalesce(json_extract(p.traits, ?1) = ?2, 0) AND (NOT (p.id IN (SELECT ep.canonical_id FROM events e JOIN profiles ep ON ep.id = e.profile_id WHERE e.workspace_id = ?3 AND e.event = ?4 AND e.timestamp >= ?5))))",
    ["$.\"plan\"", "pro", "ws_1", "Order Completed", 1769644800000],
  ],
];

describe('compileCondition', () => {
  it.each(CASES)('%s', (_label, condition, sql, values) => {
    const params = new Params();
    expect(compileCondition(condition, params, NOW)).toBe(sql);
    expect(params.values).toEqual(values);
  });

  it.each(SET_CASES)('%s', (_label, condition, sql, values) => {
    const params = new Params();
    expect(compileCondition(condition, params, NOW, { mode: 'set', workspaceId: 'ws_1' })).toBe(sql);
    expect(params.values).toEqual(values);
  });

  it('never splices names or values into the SQL text', () => {
    const evil = "x'); DROP TABLE events; --";
    const condition: Condition = {
      and: [
        { trait: evil, op: 'eq', value: evil },
        { computed: `${evil}.y`, op: 'contains', value: evil },
        { event: evil, where: [{ property: evil, op: 'startsWith', value: evil }] },
        { trait: 'plan', op: 'in', value: [evil] },
      ],
    };
    const params = new Params();
    const sql = compileCondition(condition, params, NOW);
    expect(sql).not.toContain('DROP');
    expect(params.values.filter((v) => typeof v === 'string' && v.includes('DROP')).length).toBeGreaterThanOrEqual(4);
  });

  it('numbers placeholders after values the caller bound first', () => {
    const params = new Params();
    params.add('ws_1');
    params.add('run_1');
    expect(compileCondition({ trait: 'plan', op: 'eq', value: 'pro' }, params, NOW)).toBe('coalesce(json_extract(p.traits, ?3) = ?4, 0)');
  });

  it.each([
    [['plan'], '$."plan"'],
    [['a.b'], '$."a.b"'],
    [['eventCounts', 'Order Completed'], '$."eventCounts"."Order Completed"'],
  ])('builds the JSON path of %j as %s', (keys, path) => {
    expect(jsonPath(keys)).toBe(path);
  });
});
