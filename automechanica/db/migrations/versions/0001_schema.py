"""The whole schema of DESIGN.md §3: core, operational and vector tables.

Every index names the query it serves; later revisions add columns, not
foundations.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

EXTENSIONS = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
"""

VEHICLES = """
CREATE TABLE makes (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE              -- the vehicle cascade lists makes by name
);

-- "Chevy" -> Chevrolet, "VW" -> Volkswagen: the fitment parser resolves aliases by key.
CREATE TABLE make_aliases (
    alias       text PRIMARY KEY,                 -- lower-case, punctuation removed
    make_id     integer NOT NULL REFERENCES makes(id) ON DELETE CASCADE
);
CREATE INDEX make_aliases_make_id ON make_aliases (make_id);  -- FK: delete of a make

CREATE TABLE models (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    make_id     integer NOT NULL REFERENCES makes(id),
    name        text NOT NULL,
    UNIQUE (make_id, name)                        -- cascade: models of a make; upsert on load
);
-- fitment parser: "a model named without its make" looks models up by lower(name)
CREATE INDEX models_lower_name ON models (lower(name));

-- VCdb's BaseVehicle: year + make + model; fitments attach here.
CREATE TABLE base_vehicles (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    year        smallint NOT NULL CHECK (year BETWEEN 1900 AND 2100),
    make_id     integer NOT NULL REFERENCES makes(id),
    model_id    integer NOT NULL REFERENCES models(id),
    UNIQUE (model_id, year)                       -- import: resolve (model, year) -> base vehicle
);
-- cascade: years -> makes -> models walks base vehicles by year then make
CREATE INDEX base_vehicles_year_make ON base_vehicles (year, make_id);

-- One row per year-level configuration, built from real VIN decodes.
CREATE TABLE vehicles (
    id                integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    base_vehicle_id   integer NOT NULL REFERENCES base_vehicles(id),
    submodel          text,
    engine_liters     numeric(3,1),
    engine_cylinders  smallint,
    engine_code       text,
    fuel              text,
    aspiration        text,
    drive             text CHECK (drive IN ('FWD', 'RWD', 'AWD', '4WD')),
    body              text,
    doors             smallint,
    transmission      text,
    source_vin        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    -- loading the same decodes twice creates nothing new
    CONSTRAINT vehicles_configuration UNIQUE NULLS NOT DISTINCT (
        base_vehicle_id, submodel, engine_liters, engine_cylinders, engine_code,
        fuel, aspiration, drive, body, doors, transmission)
);
-- (the unique constraint above also serves "configurations of base vehicle B":
--  fit checks and the submodel/engine steps of the cascade)
"""

CATALOG = """
CREATE TABLE brands (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE,             -- search facet and filter by brand name
    aaia_id     text UNIQUE                       -- PIES BrandAAIAID lookup
);

-- "AC Delco", "ACDELCO", "AC-Delco" -> ACDelco; importers resolve by key.
CREATE TABLE brand_aliases (
    alias       text PRIMARY KEY,
    brand_id    integer NOT NULL REFERENCES brands(id) ON DELETE CASCADE
);
CREATE INDEX brand_aliases_brand_id ON brand_aliases (brand_id);  -- FK: delete of a brand

CREATE TABLE part_types (
    id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL UNIQUE,         -- importers resolve a feed's part type by name
    slug            text NOT NULL UNIQUE,         -- API filter ?part_type=brake-pads
    pcdb_id         integer UNIQUE,               -- ACES PartType id / PIES PartTerminologyID
    category        text NOT NULL,
    fit_attributes  text[] NOT NULL DEFAULT '{}', -- what decides fit beyond year/make/model
    universal       boolean NOT NULL DEFAULT false
);

CREATE TABLE parts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    brand_id        integer NOT NULL REFERENCES brands(id),
    part_number     text NOT NULL,                -- as the brand prints it
    mpn_normalized  text NOT NULL,
    part_type_id    integer NOT NULL REFERENCES part_types(id),
    title           text NOT NULL,
    description     text,
    upc             text,
    attributes      jsonb NOT NULL DEFAULT '{}',
    fit_class       text NOT NULL DEFAULT 'vehicle_specific'
                    CHECK (fit_class IN ('vehicle_specific', 'universal', 'no_fitment', 'non_vehicle')),
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'review')),
    price           numeric(12,2),
    search_text     tsvector GENERATED ALWAYS AS (
                        to_tsvector('simple', title || ' ' || part_number || ' ' || mpn_normalized)
                    ) STORED,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT parts_brand_mpn UNIQUE (brand_id, mpn_normalized)  -- dedupe step 1
);
CREATE INDEX parts_upc ON parts (upc) WHERE upc IS NOT NULL;        -- dedupe step 2: same UPC/GTIN
CREATE INDEX parts_part_type ON parts (part_type_id, id);           -- search by part type, paged by id
CREATE INDEX parts_mpn ON parts (mpn_normalized);                   -- search by bare part number
CREATE INDEX parts_universal ON parts (part_type_id, id) WHERE fit_class = 'universal';  -- "fits this vehicle": universal parts (of a type)
CREATE INDEX parts_search_text ON parts USING gin (search_text);    -- full-text part search
CREATE INDEX parts_title_trgm ON parts USING gin (title gin_trgm_ops);  -- fuzzy title search

-- Interchange is a link, never a merge (DOMAIN.md).
CREATE TABLE part_interchange (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    part_id              bigint NOT NULL REFERENCES parts(id) ON DELETE CASCADE,
    brand_name           text NOT NULL,
    mpn_normalized       text NOT NULL,
    interchange_part_id  bigint REFERENCES parts(id) ON DELETE SET NULL,
    kind                 text NOT NULL DEFAULT 'interchange',
    source               text NOT NULL,
    UNIQUE (part_id, brand_name, mpn_normalized)  -- part detail: a part's interchanges
);
-- "which of our parts replace brand X part Y": lookup by the other side
CREATE INDEX part_interchange_other ON part_interchange (mpn_normalized);
CREATE INDEX part_interchange_target ON part_interchange (interchange_part_id)
    WHERE interchange_part_id IS NOT NULL;                          -- FK: delete of a part

CREATE TABLE suppliers (
    id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL UNIQUE,         -- `feeds import --supplier NAME`
    display_name    text NOT NULL,
    default_format  text,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- One supplier's offer of a canonical part.
CREATE TABLE supplier_parts (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    supplier_id        integer NOT NULL REFERENCES suppliers(id),
    supplier_sku       text NOT NULL,
    part_id            bigint NOT NULL REFERENCES parts(id),
    brand_raw          text NOT NULL,
    mpn_raw            text NOT NULL,
    title_raw          text,
    uom                text,
    pack_qty           integer NOT NULL DEFAULT 1,
    cost               numeric(12,2) NOT NULL CHECK (cost >= 0),
    jobber             numeric(12,2) CHECK (jobber >= 0),
    map_price          numeric(12,2) CHECK (map_price >= 0),
    msrp               numeric(12,2) CHECK (msrp >= 0),
    core_charge        numeric(12,2) CHECK (core_charge >= 0),
    stock              jsonb NOT NULL DEFAULT '{}',   -- per warehouse
    stock_total        integer NOT NULL DEFAULT 0,
    weight_lb          numeric(8,2),
    hazmat             boolean NOT NULL DEFAULT false,
    raw                jsonb NOT NULL DEFAULT '{}',
    content_hash       text NOT NULL,                 -- re-import of an unchanged row is a no-op
    source_updated_at  timestamptz,
    first_seen_at      timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT supplier_parts_sku UNIQUE (supplier_id, supplier_sku)  -- import upsert by SKU
);
CREATE INDEX supplier_parts_part ON supplier_parts (part_id);  -- part detail: offers of a part

-- Part x base vehicle with nullable constraints (NULL = any configuration).
CREATE TABLE fitments (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    part_id           bigint NOT NULL REFERENCES parts(id) ON DELETE CASCADE,
    part_type_id      integer NOT NULL REFERENCES part_types(id),  -- copied from parts for the hot query
    base_vehicle_id   integer NOT NULL REFERENCES base_vehicles(id),
    submodel          text,
    engine_liters     numeric(3,1),
    engine_cylinders  smallint,
    engine_code       text,
    fuel              text,
    aspiration        text,
    drive             text,
    body              text,
    transmission      text,
    position          text,
    quantity          smallint,
    qualifiers        jsonb NOT NULL DEFAULT '[]',  -- [{"text", "parameters", "verify"}]
    notes             text[] NOT NULL DEFAULT '{}',
    source            text NOT NULL,                -- e.g. 'feed:acme', 'inference'
    supplier_id       integer REFERENCES suppliers(id),
    confidence        real NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    status            text NOT NULL DEFAULT 'published'
                      CHECK (status IN ('published', 'pending_review', 'rejected')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    -- importing the same application twice from the same source adds nothing
    CONSTRAINT fitments_application UNIQUE NULLS NOT DISTINCT (
        part_id, base_vehicle_id, submodel, engine_liters, engine_cylinders, engine_code,
        fuel, aspiration, drive, body, transmission, position, source)
);
-- hot query: "parts of type T that fit vehicle V" (base vehicle, then type, then part)
CREATE INDEX fitments_vehicle_type ON fitments (base_vehicle_id, part_type_id, part_id);
-- (fitments_application leads with part_id: reverse fitment and fit checks of one part)
CREATE INDEX fitments_supplier ON fitments (supplier_id) WHERE supplier_id IS NOT NULL;  -- FK

CREATE TABLE import_reports (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    supplier_id     integer NOT NULL REFERENCES suppliers(id),
    file_name       text NOT NULL,
    file_sha256     text,
    format          text NOT NULL,
    status          text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
    rows_read       integer NOT NULL DEFAULT 0,
    parts_created   integer NOT NULL DEFAULT 0,
    parts_updated   integer NOT NULL DEFAULT 0,
    parts_merged    integer NOT NULL DEFAULT 0,
    offers          integer NOT NULL DEFAULT 0,
    fitments        integer NOT NULL DEFAULT 0,
    rows_rejected   integer NOT NULL DEFAULT 0,
    warnings        integer NOT NULL DEFAULT 0,
    error           text,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);
-- operator console: a supplier's imports, newest first
CREATE INDEX import_reports_supplier ON import_reports (supplier_id, started_at DESC);

CREATE TABLE import_rejections (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id   bigint NOT NULL REFERENCES import_reports(id) ON DELETE CASCADE,
    line        integer,                          -- line number (CSV, JSON lines)
    element     text,                             -- element path (XML)
    severity    text NOT NULL DEFAULT 'rejected'  -- rejected: row skipped; warning: stored, part ignored
                CHECK (severity IN ('rejected', 'warning')),
    reason      text NOT NULL,
    raw         text
);
CREATE INDEX import_rejections_report ON import_rejections (report_id, id);  -- a report's rejections in order
"""

OPERATIONS = """
CREATE TABLE workflows (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind         text NOT NULL,
    status       text NOT NULL DEFAULT 'running'
                 CHECK (status IN ('running', 'waiting', 'completed', 'failed', 'cancelled')),
    state        jsonb NOT NULL DEFAULT '{}',
    error        text,
    started_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX workflows_active ON workflows (kind, started_at)
    WHERE status IN ('running', 'waiting');       -- orchestrator: resume unfinished workflows

CREATE TABLE tasks (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text NOT NULL,
    payload           jsonb NOT NULL DEFAULT '{}',
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'leased', 'running', 'completed', 'failed', 'dead')),
    priority          smallint NOT NULL DEFAULT 0,
    run_at            timestamptz NOT NULL DEFAULT now(),
    attempts          integer NOT NULL DEFAULT 0,
    max_attempts      integer NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
    idempotency_key   text UNIQUE,                -- enqueue twice, one task
    workflow_id       uuid REFERENCES workflows(id),
    lease_token       uuid,
    leased_by         text,
    lease_expires_at  timestamptz,
    heartbeat_at      timestamptz,
    last_error        text,
    last_traceback    text,
    result            jsonb,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz
);
-- the claim: runnable tasks, highest priority first, then oldest run_at (small partial index)
CREATE INDEX tasks_runnable ON tasks (priority DESC, run_at) WHERE status IN ('pending', 'failed');
-- rescue: leases that expired
CREATE INDEX tasks_leases ON tasks (lease_expires_at) WHERE status IN ('leased', 'running');
-- dead-letter queue listing
CREATE INDEX tasks_dead ON tasks (kind, finished_at) WHERE status = 'dead';
CREATE INDEX tasks_workflow ON tasks (workflow_id) WHERE workflow_id IS NOT NULL;  -- a workflow's tasks

CREATE TABLE agent_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow_id    uuid REFERENCES workflows(id),
    task_id        bigint REFERENCES tasks(id) ON DELETE SET NULL,
    agent          text NOT NULL,
    decision_type  text NOT NULL,
    subject_kind   text,
    subject_id     text,
    input          jsonb NOT NULL DEFAULT '{}',
    output         jsonb NOT NULL DEFAULT '{}',
    confidence     real CHECK (confidence BETWEEN 0 AND 1),
    rationale      text,
    outcome        text NOT NULL CHECK (outcome IN ('accepted', 'held', 'rejected', 'retried', 'failed')),
    model_used     text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_events_workflow ON agent_events (workflow_id, id);          -- a workflow's decisions
CREATE INDEX agent_events_subject ON agent_events (subject_kind, subject_id, id);  -- "why is this part priced so"
CREATE INDEX agent_events_agent_time ON agent_events (agent, created_at DESC);  -- console: recent decisions per agent
CREATE INDEX agent_events_task ON agent_events (task_id) WHERE task_id IS NOT NULL;  -- FK

CREATE TABLE policies (
    decision_type  text PRIMARY KEY,
    threshold      real NOT NULL CHECK (threshold BETWEEN 0 AND 1),
    limits         jsonb NOT NULL DEFAULT '{}',
    version        integer NOT NULL DEFAULT 1,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reviews (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      bigint REFERENCES agent_events(id),
    workflow_id   uuid REFERENCES workflows(id),
    kind          text NOT NULL,
    reason        text NOT NULL,
    proposed      jsonb NOT NULL DEFAULT '{}',
    resolution    jsonb,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'edited', 'rejected')),
    reviewer      text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    resolved_at   timestamptz
);
CREATE INDEX reviews_open ON reviews (kind, created_at) WHERE status = 'open';  -- the review queue
CREATE INDEX reviews_event ON reviews (event_id) WHERE event_id IS NOT NULL;   -- FK
CREATE INDEX reviews_workflow ON reviews (workflow_id) WHERE workflow_id IS NOT NULL;  -- resume a workflow

CREATE TABLE llm_calls (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow_id      uuid,
    task_id          bigint,
    agent            text,
    task_kind        text,
    complexity       text,
    provider         text NOT NULL,
    model_requested  text NOT NULL,
    model_used       text NOT NULL,
    attempt          smallint NOT NULL DEFAULT 1,
    tokens_in        integer,
    tokens_out       integer,
    tokens_cached    integer,
    latency_ms       real,
    cost_usd         numeric(12,6),              -- NULL = unknown price, never 0
    outcome          text NOT NULL,
    error_kind       text,
    fallback_reason  text,
    prompt_hash      text,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX llm_calls_time ON llm_calls (created_at);                 -- usage --since, daily budget
CREATE INDEX llm_calls_workflow ON llm_calls (workflow_id) WHERE workflow_id IS NOT NULL;  -- per-workflow budget

CREATE TABLE customers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL UNIQUE,             -- sign-in and order lookup
    name        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customer_vehicles (                  -- the garage
    customer_id  bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    vehicle_id   integer NOT NULL REFERENCES vehicles(id),
    nickname     text,
    added_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, vehicle_id)
);
CREATE INDEX customer_vehicles_vehicle ON customer_vehicles (vehicle_id);  -- FK

CREATE TABLE orders (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id       bigint REFERENCES customers(id),
    vehicle_id        integer REFERENCES vehicles(id),
    status            text NOT NULL DEFAULT 'placed'
                      CHECK (status IN ('placed', 'routed', 'shipped', 'delivered', 'cancelled', 'returned')),
    currency          text NOT NULL DEFAULT 'USD',
    subtotal          numeric(12,2) NOT NULL DEFAULT 0,
    shipping          numeric(12,2) NOT NULL DEFAULT 0,
    tax               numeric(12,2) NOT NULL DEFAULT 0,
    total             numeric(12,2) NOT NULL DEFAULT 0,
    shipping_address  jsonb NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer ON orders (customer_id, created_at DESC);  -- a customer's orders
CREATE INDEX orders_created ON orders (created_at);                      -- sales reports by period
CREATE INDEX orders_vehicle ON orders (vehicle_id) WHERE vehicle_id IS NOT NULL;  -- FK

CREATE TABLE order_lines (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id          bigint NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    part_id           bigint NOT NULL REFERENCES parts(id),
    supplier_part_id  bigint REFERENCES supplier_parts(id),
    quantity          integer NOT NULL CHECK (quantity > 0),
    unit_price        numeric(12,2) NOT NULL,
    unit_cost         numeric(12,2),
    core_charge       numeric(12,2) NOT NULL DEFAULT 0,
    status            text NOT NULL DEFAULT 'pending'
);
CREATE INDEX order_lines_order ON order_lines (order_id);                 -- an order's lines
CREATE INDEX order_lines_part ON order_lines (part_id);                   -- sales by part, margin reports
CREATE INDEX order_lines_supplier_part ON order_lines (supplier_part_id)  -- FK
    WHERE supplier_part_id IS NOT NULL;

CREATE TABLE returns (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_line_id  bigint NOT NULL REFERENCES order_lines(id),
    reason         text NOT NULL CHECK (reason IN ('wrong_fit', 'defective', 'not_needed', 'damaged', 'other')),
    status         text NOT NULL DEFAULT 'requested',
    notes          text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX returns_line ON returns (order_line_id);                    -- FK, a line's returns
CREATE INDEX returns_reason_time ON returns (reason, created_at);        -- wrong-fit return reports

CREATE TABLE fitment_issues (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    part_id      bigint NOT NULL REFERENCES parts(id),
    vehicle_id   integer REFERENCES vehicles(id),
    return_id    bigint REFERENCES returns(id),
    kind         text NOT NULL,
    description  text NOT NULL,
    status       text NOT NULL DEFAULT 'open',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fitment_issues_part ON fitment_issues (part_id, created_at);  -- a part's fit complaints
CREATE INDEX fitment_issues_vehicle ON fitment_issues (vehicle_id) WHERE vehicle_id IS NOT NULL;  -- FK
CREATE INDEX fitment_issues_return ON fitment_issues (return_id) WHERE return_id IS NOT NULL;    -- FK

CREATE TABLE competitor_prices (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    part_id     bigint NOT NULL REFERENCES parts(id) ON DELETE CASCADE,
    competitor  text NOT NULL,
    price       numeric(12,2) NOT NULL CHECK (price >= 0),
    seen_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX competitor_prices_part ON competitor_prices (part_id, seen_at DESC);  -- latest per part

CREATE TABLE price_history (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    part_id         bigint NOT NULL REFERENCES parts(id) ON DELETE CASCADE,
    price           numeric(12,2) NOT NULL,
    previous_price  numeric(12,2),
    reason          text,
    event_id        bigint REFERENCES agent_events(id),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX price_history_part ON price_history (part_id, created_at DESC);  -- a part's price changes
CREATE INDEX price_history_event ON price_history (event_id) WHERE event_id IS NOT NULL;  -- FK

CREATE TABLE product_content (
    part_id           bigint PRIMARY KEY REFERENCES parts(id) ON DELETE CASCADE,
    slug              text NOT NULL UNIQUE,       -- storefront URL lookup
    title             text NOT NULL,
    description       text NOT NULL,
    bullets           text[] NOT NULL DEFAULT '{}',
    seo_title         text,
    meta_description  text,
    model_used        text,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE support_sessions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id  bigint REFERENCES customers(id),
    vehicle_id   integer REFERENCES vehicles(id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX support_sessions_customer ON support_sessions (customer_id) WHERE customer_id IS NOT NULL;  -- FK
CREATE INDEX support_sessions_vehicle ON support_sessions (vehicle_id) WHERE vehicle_id IS NOT NULL;     -- FK

CREATE TABLE support_messages (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES support_sessions(id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('customer', 'assistant', 'operator')),
    content     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX support_messages_session ON support_messages (session_id, id);  -- a conversation in order
"""

VECTORS = """
CREATE TABLE embedding_jobs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text NOT NULL CHECK (kind IN ('part', 'event', 'issue', 'document', 'memory')),
    ref_id            text NOT NULL,
    content           text NOT NULL,
    content_hash      text NOT NULL,
    model             text,
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'leased', 'done', 'failed', 'dead')),
    attempts          integer NOT NULL DEFAULT 0,
    run_at            timestamptz NOT NULL DEFAULT now(),
    lease_token       uuid,
    lease_expires_at  timestamptz,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- the embedding worker's claim: runnable jobs, oldest first
CREATE INDEX embedding_jobs_runnable ON embedding_jobs (run_at) WHERE status IN ('pending', 'failed');
-- `memory status`: counts per kind and state, age of the backlog
CREATE INDEX embedding_jobs_kind_status ON embedding_jobs (kind, status, created_at);

CREATE TABLE supplier_documents (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    supplier_id   integer REFERENCES suppliers(id),
    title         text NOT NULL,
    source_name   text NOT NULL,
    content_type  text NOT NULL,
    content_hash  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (supplier_id, content_hash)  -- ingesting a file twice adds nothing
);

CREATE TABLE document_chunks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id  bigint NOT NULL REFERENCES supplier_documents(id) ON DELETE CASCADE,
    chunk_index  integer NOT NULL,
    content      text NOT NULL,
    UNIQUE (document_id, chunk_index)             -- a document's chunks in order
);

-- Generic agent memory: add(namespace, text, metadata, ref) / search(namespace, ...)
CREATE TABLE memory_items (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    namespace   text NOT NULL,
    ref         text,
    content     text NOT NULL,
    metadata    jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX memory_items_namespace_ref ON memory_items (namespace, ref);  -- similar(ref): find the item

-- One vector per (item, model): search filters on model so two models never mix.
CREATE TABLE part_embeddings (
    part_id       bigint NOT NULL REFERENCES parts(id) ON DELETE CASCADE,
    model         text NOT NULL,
    embedding     vector(384) NOT NULL,
    content_hash  text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (part_id, model)
);
CREATE TABLE event_embeddings (
    event_id      bigint NOT NULL REFERENCES agent_events(id) ON DELETE CASCADE,
    model         text NOT NULL,
    embedding     vector(384) NOT NULL,
    content_hash  text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, model)
);
CREATE TABLE issue_embeddings (
    issue_id      bigint NOT NULL REFERENCES fitment_issues(id) ON DELETE CASCADE,
    model         text NOT NULL,
    embedding     vector(384) NOT NULL,
    content_hash  text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issue_id, model)
);
CREATE TABLE document_embeddings (
    chunk_id      bigint NOT NULL REFERENCES document_chunks(id) ON DELETE CASCADE,
    model         text NOT NULL,
    embedding     vector(384) NOT NULL,
    content_hash  text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chunk_id, model)
);
CREATE TABLE memory_embeddings (
    item_id       bigint NOT NULL REFERENCES memory_items(id) ON DELETE CASCADE,
    model         text NOT NULL,
    embedding     vector(384) NOT NULL,
    content_hash  text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (item_id, model)
);
-- nearest-neighbour search by cosine distance (similar parts / decisions / issues / chunks)
CREATE INDEX part_embeddings_hnsw ON part_embeddings USING hnsw (embedding vector_cosine_ops);
CREATE INDEX event_embeddings_hnsw ON event_embeddings USING hnsw (embedding vector_cosine_ops);
CREATE INDEX issue_embeddings_hnsw ON issue_embeddings USING hnsw (embedding vector_cosine_ops);
CREATE INDEX document_embeddings_hnsw ON document_embeddings USING hnsw (embedding vector_cosine_ops);
CREATE INDEX memory_embeddings_hnsw ON memory_embeddings USING hnsw (embedding vector_cosine_ops);
"""

TABLES_NEWEST_FIRST = [
    "memory_embeddings",
    "document_embeddings",
    "issue_embeddings",
    "event_embeddings",
    "part_embeddings",
    "memory_items",
    "document_chunks",
    "supplier_documents",
    "embedding_jobs",
    "support_messages",
    "support_sessions",
    "product_content",
    "price_history",
    "competitor_prices",
    "fitment_issues",
    "returns",
    "order_lines",
    "orders",
    "customer_vehicles",
    "customers",
    "llm_calls",
    "reviews",
    "policies",
    "agent_events",
    "tasks",
    "workflows",
    "import_rejections",
    "import_reports",
    "fitments",
    "supplier_parts",
    "suppliers",
    "part_interchange",
    "parts",
    "part_types",
    "brand_aliases",
    "brands",
    "vehicles",
    "base_vehicles",
    "models",
    "make_aliases",
    "makes",
]


def upgrade() -> None:
    for block in (EXTENSIONS, VEHICLES, CATALOG, OPERATIONS, VECTORS):
        op.execute(block)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS " + ", ".join(TABLES_NEWEST_FIRST) + " CASCADE")
