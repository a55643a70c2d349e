-- Predictive and computed traits (issue 20).

-- The latest BG/NBD + Gamma-Gamma fit per workspace. `model` is JSON: parameters, RFM cut points,
-- the LTV distribution (percentiles) and the weekly expected-against-actual series; the API and
-- the profile read compute each person's predictions from it and their orders at read time.
CREATE TABLE prediction_models (
  workspace_id TEXT PRIMARY KEY,
  as_of INTEGER NOT NULL,
  customers INTEGER NOT NULL,
  order_event TEXT NOT NULL,
  model TEXT NOT NULL,
  fit_ms INTEGER NOT NULL
);

-- Per-person predictions as of the last fit (refreshed for the people an ingest touched), so that
-- segments can compare them in SQL. Canonical profiles with at least one order only.
CREATE TABLE profile_predictions (
  workspace_id TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  p_alive REAL NOT NULL,
  churn_risk REAL NOT NULL,
  -- NULL when the model cannot say (a degenerate fit on a handful of customers)
  expected_orders_30d REAL,
  expected_orders_90d REAL,
  expected_orders_365d REAL,
  expected_order_value REAL,
  ltv_365d REAL,
  ltv_percentile REAL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, profile_id)
) WITHOUT ROWID;

-- Traits a marketer defines as an aggregate over a person's events.
CREATE TABLE computed_traits (
  workspace_id TEXT NOT NULL,
  key TEXT NOT NULL,
  name TEXT NOT NULL,
  -- count | sum | avg | min | max | first | last | mostFrequent | distinctCount
  aggregate TEXT NOT NULL,
  event TEXT NOT NULL,
  property TEXT,
  window_days REAL,
  -- JSON value of a person without matching events (0 for counts, NULL otherwise)
  empty_value TEXT,
  created_at INTEGER NOT NULL,
  computed_at INTEGER,
  PRIMARY KEY (workspace_id, key)
) WITHOUT ROWID;

-- One row per (trait, canonical profile) with matching events; `value` is JSON text.
CREATE TABLE computed_trait_values (
  workspace_id TEXT NOT NULL,
  trait_key TEXT NOT NULL,
  profile_id TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, trait_key, profile_id)
) WITHOUT ROWID;
CREATE INDEX computed_trait_values_profile ON computed_trait_values (workspace_id, profile_id);
