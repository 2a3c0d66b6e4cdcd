"""Vehicle base: every vPIC vehicle, model aliases, proposed pre-1981 vehicles, VCdb id maps.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UPGRADE = """
-- One row per finished load of the vehicle base; a second `vehicles load --full`
-- of the same vPIC data month finds its row here and stops.
CREATE TABLE vehicle_base_loads (
    source         text PRIMARY KEY,             -- 'vpic:2026_10:1981-2027', 'vcdb:<dir>'
    makes          integer NOT NULL,
    models         integer NOT NULL,
    base_vehicles  integer NOT NULL,
    vehicles       integer NOT NULL,
    seconds        real NOT NULL,
    loaded_at      timestamptz NOT NULL DEFAULT now()
);

-- The names people use for a model: "Vette" -> Corvette, "F150" -> F-150, and a trim
-- badge such as "335i" -> 3 Series with submodel 335i. Read by the fitment-text parser.
CREATE TABLE model_aliases (
    make_id     integer NOT NULL REFERENCES makes(id) ON DELETE CASCADE,
    alias       text NOT NULL,                   -- alias_key form: lower-case letters and digits
    model_id    integer NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    submodel    text,                            -- set when the alias names a trim too
    source      text NOT NULL DEFAULT 'seed',    -- 'seed' (catalog/data/model_aliases.csv) or who added it
    PRIMARY KEY (make_id, alias)                 -- parser: resolve an alias within a make; seed upsert
);
-- parser: an alias named without its make ("2015 F150") is looked up by alias alone
CREATE INDEX model_aliases_alias ON model_aliases (alias);
CREATE INDEX model_aliases_model ON model_aliases (model_id);  -- FK: delete of a model

-- Base vehicles vPIC cannot know (before 1981) as suppliers name them; an operator
-- accepts (it becomes a base vehicle) or rejects each one.
CREATE TABLE proposed_base_vehicles (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    year             smallint NOT NULL CHECK (year BETWEEN 1900 AND 2100),
    make             text NOT NULL,
    model            text NOT NULL,
    supplier         text NOT NULL,
    file_name        text NOT NULL,
    status           text NOT NULL DEFAULT 'proposed'
                     CHECK (status IN ('proposed', 'accepted', 'rejected')),
    base_vehicle_id  integer REFERENCES base_vehicles(id),
    decided_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
-- propose_vehicle: the same vehicle named by the same supplier's file twice adds nothing
CREATE UNIQUE INDEX proposed_base_vehicles_key
    ON proposed_base_vehicles (year, lower(make), lower(model), supplier, file_name);
-- `vehicles proposed list --status proposed`: the review queue, oldest year first
CREATE INDEX proposed_base_vehicles_status ON proposed_base_vehicles (status, year);
-- FK: delete of a base vehicle
CREATE INDEX proposed_base_vehicles_base_vehicle ON proposed_base_vehicles (base_vehicle_id)
    WHERE base_vehicle_id IS NOT NULL;

-- An owner's licensed VCdb export, mapped onto our base vehicles and configurations so
-- ACES applications that name vehicles by VCdb ids resolve to them.
CREATE TABLE vcdb_base_vehicles (
    vcdb_id          integer PRIMARY KEY,        -- ACES import: <BaseVehicle id> -> base vehicle
    base_vehicle_id  integer NOT NULL REFERENCES base_vehicles(id)
);
CREATE INDEX vcdb_base_vehicles_base_vehicle ON vcdb_base_vehicles (base_vehicle_id);  -- FK; our id -> VCdb id on export

-- VCdb's small lookup tables by kind: SubModel, EngineBase (as '2.4L L4'), DriveType,
-- BodyType, FuelType, Aspiration, Region.
CREATE TABLE vcdb_values (
    kind      text NOT NULL,                     -- the VCdb table name, e.g. 'SubModel'
    vcdb_id   integer NOT NULL,
    name      text NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{}',      -- EngineBase: {"liters": "2.4", "cylinders": 4}
    PRIMARY KEY (kind, vcdb_id)                  -- ACES import: <SubModel id="…"> -> its name
);

-- A VCdb Vehicle (BaseVehicle + SubModel + Region) with one engine configuration is one
-- of our configurations (a `vehicles` row).
CREATE TABLE vcdb_vehicle_configs (
    vehicle_to_engine_config_id  integer PRIMARY KEY,  -- reload: one row per VCdb pairing
    vcdb_vehicle_id              integer NOT NULL,
    engine_config_id             integer,
    engine_base_id               integer,
    vehicle_id                   integer NOT NULL REFERENCES vehicles(id)
);
-- ACES import: <App> with BaseVehicle + EngineBase -> our configurations
CREATE INDEX vcdb_vehicle_configs_vehicle_engine ON vcdb_vehicle_configs (vcdb_vehicle_id, engine_base_id);
CREATE INDEX vcdb_vehicle_configs_vehicle_id ON vcdb_vehicle_configs (vehicle_id);  -- FK
"""

DOWNGRADE = """
DROP TABLE vcdb_vehicle_configs;
DROP TABLE vcdb_values;
DROP TABLE vcdb_base_vehicles;
DROP TABLE proposed_base_vehicles;
DROP TABLE model_aliases;
DROP TABLE vehicle_base_loads;
"""


def upgrade() -> None:
    if UPGRADE:
        op.execute(UPGRADE)


def downgrade() -> None:
    if DOWNGRADE:
        op.execute(DOWNGRADE)
