"""Commerce: carts that are also checkout sessions, payments, purchase orders, core
returns, schedules and analytics reports.

A cart and an Agentic-Commerce checkout session are one thing (`carts`): the
storefront adds lines to it, an outside agent creates it with lines, and both
complete it into exactly one order (`orders.cart_id` UNIQUE). Idempotency keys are
stored with a digest of the request, so a retried request gets the first answer and
a reused key with another request is refused. A purchase order is unique per
(order, supplier): a worker killed mid-fulfillment cannot write a second one.
A schedule fires once per period however many workers run (`schedule_firings` PK).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE customer_vehicles ADD COLUMN is_current boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX customer_vehicles_current ON customer_vehicles (customer_id)
    WHERE is_current;                                        -- one current vehicle per garage

CREATE TABLE carts (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),  -- also the guest's bearer handle
    customer_id         bigint REFERENCES customers(id),
    vehicle_id          integer REFERENCES vehicles(id),     -- the vehicle every line is fit-checked against
    vehicle_query       jsonb,                               -- or year/make/model + what is known (fit may need more)
    status              text NOT NULL DEFAULT 'not_ready_for_payment'
                        CHECK (status IN ('not_ready_for_payment', 'ready_for_payment',
                                          'in_progress', 'completed', 'canceled')),
    channel             text NOT NULL DEFAULT 'storefront'
                        CHECK (channel IN ('storefront', 'agent')),
    email               text,
    shipping_address    jsonb,
    fulfillment_option  text,
    currency            text NOT NULL DEFAULT 'USD',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX carts_customer ON carts (customer_id, updated_at DESC)
    WHERE customer_id IS NOT NULL;                           -- a signed-in shopper's open cart
CREATE INDEX carts_vehicle ON carts (vehicle_id) WHERE vehicle_id IS NOT NULL;  -- FK
CREATE INDEX carts_stale ON carts (updated_at) WHERE status <> 'completed';  -- pruning abandoned carts

CREATE TABLE cart_lines (
    cart_id   uuid NOT NULL REFERENCES carts(id) ON DELETE CASCADE,
    part_id   bigint NOT NULL REFERENCES parts(id),
    quantity  integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    added_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cart_id, part_id)
);
CREATE INDEX cart_lines_part ON cart_lines (part_id);           -- FK

CREATE TABLE idempotency_keys (
    scope           text NOT NULL,                  -- e.g. 'checkout.complete'
    key             text NOT NULL,
    request_digest  bytea NOT NULL,                 -- sha256 of the canonical request
    status_code     integer,                        -- NULL while the first request runs
    response        jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);  -- pruning old keys

ALTER TABLE orders
    ADD COLUMN number              text UNIQUE,      -- what the customer sees, not guessable
    ADD COLUMN cart_id             uuid UNIQUE REFERENCES carts(id),  -- one order per cart
    ADD COLUMN email               text,
    ADD COLUMN fulfillment_option  text,
    ADD COLUMN core_total          numeric(12,2) NOT NULL DEFAULT 0,
    ADD COLUMN payment_status      text NOT NULL DEFAULT 'pending'
                                   CHECK (payment_status IN ('pending', 'paid', 'failed', 'refunded')),
    ADD COLUMN paid_at             timestamptz;
CREATE INDEX orders_status ON orders (status, created_at);     -- console: orders by status

ALTER TABLE order_lines
    ADD COLUMN ship_days   integer,                  -- delivery estimate in business days
    ADD COLUMN fit_status  text,                     -- the fit check at checkout: fits, universal, ...
    ADD COLUMN fit_note    text;

CREATE TABLE order_status_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    status      text NOT NULL,
    note        text,
    actor       text NOT NULL,                       -- 'customer', 'order_agent', 'operator:<email>'
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_status_history_order ON order_status_history (order_id, id);  -- an order's history

CREATE TABLE payments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id      bigint NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    provider      text NOT NULL,                     -- 'test' records and never charges
    provider_ref  text NOT NULL,
    amount        numeric(12,2) NOT NULL CHECK (amount >= 0),
    currency      text NOT NULL DEFAULT 'USD',
    status        text NOT NULL CHECK (status IN ('authorized', 'captured', 'failed', 'refunded')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_order ON payments (order_id);             -- an order's payments

CREATE TABLE purchase_orders (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     bigint NOT NULL REFERENCES orders(id),
    supplier_id  integer NOT NULL REFERENCES suppliers(id),
    status       text NOT NULL DEFAULT 'written'
                 CHECK (status IN ('written', 'acknowledged', 'shipped', 'delivered', 'cancelled')),
    format       text NOT NULL CHECK (format IN ('csv', 'json')),
    file_path    text,
    total_cost   numeric(12,2) NOT NULL DEFAULT 0,
    tracking     text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT purchase_orders_once UNIQUE (order_id, supplier_id)  -- one PO per supplier per order
);
CREATE INDEX purchase_orders_supplier ON purchase_orders (supplier_id, created_at);  -- FK, a supplier's POs

CREATE TABLE purchase_order_lines (
    purchase_order_id  bigint NOT NULL REFERENCES purchase_orders(id) ON DELETE CASCADE,
    order_line_id      bigint NOT NULL REFERENCES order_lines(id),
    supplier_part_id   bigint NOT NULL REFERENCES supplier_parts(id),
    warehouse          text,
    quantity           integer NOT NULL CHECK (quantity > 0),
    unit_cost          numeric(12,2) NOT NULL,
    PRIMARY KEY (purchase_order_id, order_line_id, supplier_part_id)
);
CREATE INDEX purchase_order_lines_line ON purchase_order_lines (order_line_id);  -- FK
CREATE INDEX purchase_order_lines_offer ON purchase_order_lines (supplier_part_id);  -- FK

CREATE TABLE core_returns (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_line_id  bigint NOT NULL UNIQUE REFERENCES order_lines(id),  -- one core per line
    deposit        numeric(12,2) NOT NULL CHECK (deposit >= 0),
    status         text NOT NULL DEFAULT 'awaiting_core'
                   CHECK (status IN ('awaiting_core', 'received', 'refunded', 'rejected')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE returns
    ADD COLUMN vehicle_id   integer REFERENCES vehicles(id),   -- the car it did not fit
    ADD COLUMN workflow_id  uuid REFERENCES workflows(id),     -- its wrong_fit_return workflow
    ADD COLUMN updated_at   timestamptz NOT NULL DEFAULT now();
CREATE INDEX returns_vehicle ON returns (vehicle_id) WHERE vehicle_id IS NOT NULL;    -- FK
CREATE INDEX returns_workflow ON returns (workflow_id) WHERE workflow_id IS NOT NULL;  -- FK

ALTER TABLE competitor_prices
    ADD COLUMN source  text;                          -- the feed file it came from
ALTER TABLE price_history
    ADD COLUMN floor    numeric(12,2),
    ADD COLUMN ceiling  numeric(12,2);

ALTER TABLE support_sessions
    ADD COLUMN status       text NOT NULL DEFAULT 'open'
                            CHECK (status IN ('open', 'handed_over', 'closed')),
    ADD COLUMN handover_reason  text,
    ADD COLUMN updated_at   timestamptz NOT NULL DEFAULT now();
CREATE INDEX support_sessions_status ON support_sessions (status, updated_at)
    WHERE status = 'handed_over';                     -- console: conversations waiting for a person
ALTER TABLE support_messages
    ADD COLUMN citations  jsonb NOT NULL DEFAULT '[]';   -- parts and documents an answer used

CREATE TABLE schedules (
    name           text PRIMARY KEY,                   -- 'pricing_refresh', 'nightly_analytics', ...
    cron           text NOT NULL,                      -- five-field cron, UTC
    workflow       text NOT NULL,                      -- the workflow it starts
    input          jsonb NOT NULL DEFAULT '{}',
    enabled        boolean NOT NULL DEFAULT true,
    last_fired_at  timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE schedule_firings (
    schedule     text NOT NULL REFERENCES schedules(name) ON DELETE CASCADE,
    due_at       timestamptz NOT NULL,                 -- the period's start: once per period
    workflow_id  uuid REFERENCES workflows(id) ON DELETE SET NULL,
    fired_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (schedule, due_at)
);
CREATE INDEX schedule_firings_workflow ON schedule_firings (workflow_id)
    WHERE workflow_id IS NOT NULL;                     -- FK

CREATE TABLE analytics_reports (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_start  timestamptz NOT NULL,
    period_end    timestamptz NOT NULL,
    metrics       jsonb NOT NULL,
    anomalies     jsonb NOT NULL DEFAULT '[]',
    summary       text NOT NULL,
    workflow_id   uuid REFERENCES workflows(id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT analytics_reports_period UNIQUE (period_start, period_end)  -- one report per period
);
CREATE INDEX analytics_reports_workflow ON analytics_reports (workflow_id)
    WHERE workflow_id IS NOT NULL;                     -- FK
"""

DOWNGRADE = r"""
DROP TABLE analytics_reports;
DROP TABLE schedule_firings;
DROP TABLE schedules;
ALTER TABLE support_messages DROP COLUMN citations;
DROP INDEX support_sessions_status;
ALTER TABLE support_sessions DROP COLUMN status, DROP COLUMN handover_reason, DROP COLUMN updated_at;
ALTER TABLE price_history DROP COLUMN floor, DROP COLUMN ceiling;
ALTER TABLE competitor_prices DROP COLUMN source;
ALTER TABLE returns DROP COLUMN vehicle_id, DROP COLUMN workflow_id, DROP COLUMN updated_at;
DROP TABLE core_returns;
DROP TABLE purchase_order_lines;
DROP TABLE purchase_orders;
DROP TABLE payments;
DROP TABLE order_status_history;
ALTER TABLE order_lines DROP COLUMN ship_days, DROP COLUMN fit_status, DROP COLUMN fit_note;
DROP INDEX orders_status;
ALTER TABLE orders DROP COLUMN number, DROP COLUMN cart_id, DROP COLUMN email,
    DROP COLUMN fulfillment_option, DROP COLUMN core_total, DROP COLUMN payment_status,
    DROP COLUMN paid_at;
DROP TABLE idempotency_keys;
DROP TABLE cart_lines;
DROP TABLE carts;
DROP INDEX customer_vehicles_current;
ALTER TABLE customer_vehicles DROP COLUMN is_current;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
