"""The import writer's statements, batch-shaped: one round trip per batch each."""

ENSURE_SUPPLIER = """
INSERT INTO suppliers (name, display_name, default_format) VALUES (%s, %s, %s)
ON CONFLICT (name) DO UPDATE SET default_format = COALESCE(suppliers.default_format,
                                                           excluded.default_format)
RETURNING id
"""
START_REPORT = """
INSERT INTO import_reports (supplier_id, file_name, file_sha256, format)
VALUES (%s, %s, %s, %s) RETURNING id
"""
FINISH_REPORT = """
UPDATE import_reports SET status = %(status)s, rows_read = %(rows_read)s,
    parts_created = %(parts_created)s, parts_updated = %(parts_updated)s,
    parts_merged = %(parts_merged)s, offers = %(offers)s, fitments = %(fitments)s,
    rows_rejected = %(rows_rejected)s, warnings = %(warnings)s, error = %(error)s,
    finished_at = now()
WHERE id = %(report_id)s
"""
WIDEN_TEMP_BUFFERS = "SET temp_buffers = '128MB'"
INSERT_REJECTION = """
INSERT INTO import_rejections (report_id, line, element, severity, reason, raw)
VALUES (%s, %s, %s, %s, %s, %s)
"""

# ACES applications name their part by brand and normalized part number.
PARTS_BY_KEY = """
SELECT p.id, p.brand_id, p.mpn_normalized, p.part_type_id
FROM parts p
JOIN unnest(%b::int[], %b::text[]) AS k(brand_id, mpn) ON p.brand_id = k.brand_id
                                                        AND p.mpn_normalized = k.mpn
"""
# Offers are staged whole (COPY text built by `staging.offer_line`), then placed
# set-based: one pipelined round trip of the statements below per batch. The wide
# rows are written once; placing works on a narrow copy (`stage_places`), so the
# updates it makes stay small and within the session's temp buffers.
STAGE_OFFER_COLUMNS = """ord, place, fitsets, supplier_sku, brand_id, part_number, mpn_normalized,
    part_type_id, fit_class, title, description, upc, attributes, brand_raw, mpn_raw, title_raw,
    uom, pack_qty, cost, jobber, map_price, msrp, core_charge, stock, stock_total, weight_lb,
    hazmat, raw, source_updated_at, interchange, content_hash"""
CREATE_OFFER_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS stage_offers (
    ord integer, place text, supplier_sku text, brand_id integer, part_number text,
    mpn_normalized text, part_type_id integer, fit_class text, title text, description text,
    upc text, attributes jsonb, brand_raw text, mpn_raw text, title_raw text, uom text,
    pack_qty integer, cost numeric, jobber numeric, map_price numeric, msrp numeric,
    core_charge numeric, stock jsonb, stock_total integer, weight_lb numeric, hazmat boolean,
    raw jsonb, source_updated_at timestamptz, fitsets integer[], interchange jsonb,
    content_hash text
) ON COMMIT DROP
"""
CREATE_PLACE_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS stage_places (
    ord integer, supplier_sku text, place text, brand_id integer, mpn_normalized text,
    upc text, part_type_id integer, fitsets integer[], part_id bigint,
    existed boolean NOT NULL DEFAULT false
) ON COMMIT DROP
"""
COPY_OFFER_STAGE = "COPY stage_offers (" + STAGE_OFFER_COLUMNS + ") FROM STDIN"
# Placed as they are staged when their brand and number name a part already (dedupe step 1,
# below, for the usual offer: no update of the row afterwards).
STAGE_PLACES = """
INSERT INTO stage_places (ord, supplier_sku, place, brand_id, mpn_normalized, upc, part_type_id,
                          fitsets, part_id, existed)
SELECT o.ord, o.supplier_sku, o.place, o.brand_id, o.mpn_normalized, o.upc,
       COALESCE(p.part_type_id, o.part_type_id), o.fitsets, p.id, p.id IS NOT NULL
FROM stage_offers o
LEFT JOIN parts p ON p.brand_id = o.brand_id AND p.mpn_normalized = o.mpn_normalized
"""
CLEAR_OFFER_STAGE = "TRUNCATE stage_offers, stage_places"

# SKUs this import has written, kept server-side so the importer's memory stays flat.
CREATE_SEEN_SKUS = """
CREATE TEMP TABLE IF NOT EXISTS seen_skus (sku text PRIMARY KEY, place text NOT NULL,
                                           earlier text, hash text, earlier_hash text)
ON COMMIT DROP
"""
# Where each staged SKU appeared earlier in this import with other values (if it did),
# recording the new place: one probe of the key per SKU (a SKU comes once per batch). A
# repeat with the same values is a file of one row per vehicle: its fitment is added.
SEEN_BEFORE = """
WITH noted AS (
    INSERT INTO seen_skus AS s (sku, place, hash)
    SELECT p.supplier_sku, p.place, o.content_hash
    FROM stage_places p JOIN stage_offers o USING (ord)
    ON CONFLICT (sku) DO UPDATE SET place = excluded.place, earlier = s.place,
                                    hash = excluded.hash, earlier_hash = s.hash
    RETURNING s.sku, s.earlier, s.hash, s.earlier_hash
)
SELECT sku, earlier AS place FROM noted WHERE earlier IS NOT NULL AND hash <> earlier_hash
"""
# Dedupe step 1: the same brand and normalized part number.
ATTACH_BY_KEY = """
UPDATE stage_places s SET part_id = p.id, part_type_id = p.part_type_id, existed = true
FROM parts p
WHERE s.part_id IS NULL AND p.brand_id = s.brand_id AND p.mpn_normalized = s.mpn_normalized
"""
# Dedupe step 2: the same UPC/GTIN under another brand spelling or number.
ATTACH_BY_UPC = """
UPDATE stage_places s SET part_id = u.id, part_type_id = u.part_type_id, existed = true
FROM (SELECT DISTINCT ON (upc) id, upc, part_type_id FROM parts
      WHERE upc IN (SELECT upc FROM stage_places WHERE part_id IS NULL AND upc IS NOT NULL)
      ORDER BY upc, id) AS u
WHERE s.part_id IS NULL AND s.upc = u.upc
"""
# New parts: one per brand + number, from its first offer, and only for the first number
# seen with a UPC (a later number with the same UPC joins that part, as step 2 says).
# The offers naming a new part attach to it; the others are placed by steps 1 and 2 again.
CREATE_PARTS = """
WITH candidates AS (
    SELECT s.ord, s.brand_id, s.mpn_normalized, s.upc, s.part_type_id
    FROM stage_places s
    WHERE s.part_id IS NULL AND s.part_type_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM stage_places e
                      WHERE e.upc = s.upc AND e.ord < s.ord AND e.part_id IS NULL
                        AND e.part_type_id IS NOT NULL
                        AND (e.brand_id, e.mpn_normalized) <> (s.brand_id, s.mpn_normalized))
), created AS (
    INSERT INTO parts (brand_id, part_number, mpn_normalized, part_type_id, title, description,
                       upc, attributes, fit_class)
    SELECT DISTINCT ON (c.brand_id, c.mpn_normalized) c.brand_id, o.part_number,
           c.mpn_normalized, c.part_type_id, o.title, o.description, o.upc, o.attributes,
           o.fit_class
    FROM candidates c JOIN stage_offers o USING (ord)
    ORDER BY c.brand_id, c.mpn_normalized, c.ord
    ON CONFLICT (brand_id, mpn_normalized) DO NOTHING
    RETURNING id, brand_id, mpn_normalized, part_type_id
), attached AS (
    UPDATE stage_places s SET part_id = c.id, part_type_id = c.part_type_id
    FROM created c
    WHERE s.part_id IS NULL AND s.brand_id = c.brand_id AND s.mpn_normalized = c.mpn_normalized
)
SELECT count(*) AS created FROM created
"""
# Offers left without a part: new to the catalog, and no part type to create it with.
UNPLACED = "SELECT supplier_sku FROM stage_places WHERE part_id IS NULL"
# A later supplier fills what existing parts lack (first offer in the file wins); it
# never overwrites. Only offers that add something are aggregated: an offer with a UPC
# (a description, an attribute name) the part lacks passes, so the first such offer
# for each field is the one that fills it.
FILL_PARTS = """
WITH offered AS (
    SELECT s.part_id, s.ord, o.upc, o.description, o.attributes
    FROM stage_places s JOIN stage_offers o USING (ord) JOIN parts p ON p.id = s.part_id
    WHERE s.existed
      AND ((p.upc IS NULL AND o.upc IS NOT NULL)
           OR (p.description IS NULL AND o.description IS NOT NULL)
           OR (o.attributes <> '{}' AND o.attributes || p.attributes <> p.attributes))
), known AS (
    SELECT part_id,
           (array_agg(upc ORDER BY ord) FILTER (WHERE upc IS NOT NULL))[1] AS upc,
           (array_agg(description ORDER BY ord) FILTER (WHERE description IS NOT NULL))[1]
               AS description
    FROM offered GROUP BY part_id
), attributes AS (
    SELECT f.part_id, jsonb_object_agg(a.key, a.value ORDER BY f.ord DESC) AS attributes
    FROM offered f CROSS JOIN LATERAL jsonb_each(f.attributes) AS a
    GROUP BY f.part_id
), filled AS (
    UPDATE parts p SET upc = COALESCE(p.upc, k.upc),
                       description = COALESCE(p.description, k.description),
                       attributes = COALESCE(a.attributes, '{}') || p.attributes,
                       updated_at = now()
    FROM known k LEFT JOIN attributes a USING (part_id)
    WHERE p.id = k.part_id
      AND ((p.upc IS NULL AND k.upc IS NOT NULL)
           OR (p.description IS NULL AND k.description IS NOT NULL)
           OR (COALESCE(a.attributes, '{}') || p.attributes) IS DISTINCT FROM p.attributes)
    RETURNING p.id
)
SELECT count(*) AS updated FROM filled
"""
OFFER_COLUMNS = """supplier_sku, part_id, brand_raw, mpn_raw, title_raw, uom, pack_qty, cost,
    jobber, map_price, msrp, core_charge, stock, stock_total, weight_lb, hazmat, raw,
    attributes, source_updated_at, content_hash"""
# Offers whose content changed (or are new); `merged`: new offers joining a part that
# existed before this batch. The hash covers the staged line (staging.offer_line) and
# the part the offer landed on.
UPSERT_OFFERS = (
    """
WITH upserted AS (
    INSERT INTO supplier_parts (supplier_id, """
    + OFFER_COLUMNS
    + """)
    SELECT %s, o.supplier_sku, s.part_id, o.brand_raw, o.mpn_raw, o.title_raw, o.uom,
           o.pack_qty, o.cost, o.jobber, o.map_price, o.msrp, o.core_charge, o.stock,
           o.stock_total, o.weight_lb, o.hazmat, o.raw, o.attributes, o.source_updated_at,
           o.content_hash || ':' || s.part_id
    FROM stage_places s JOIN stage_offers o USING (ord)
    WHERE s.part_id IS NOT NULL
    ON CONFLICT (supplier_id, supplier_sku) DO UPDATE SET
        part_id = excluded.part_id, brand_raw = excluded.brand_raw, mpn_raw = excluded.mpn_raw,
        title_raw = excluded.title_raw, uom = excluded.uom, pack_qty = excluded.pack_qty,
        cost = excluded.cost, jobber = excluded.jobber, map_price = excluded.map_price,
        msrp = excluded.msrp, core_charge = excluded.core_charge, stock = excluded.stock,
        stock_total = excluded.stock_total, weight_lb = excluded.weight_lb,
        hazmat = excluded.hazmat, raw = excluded.raw, attributes = excluded.attributes,
        content_hash = excluded.content_hash,
        source_updated_at = excluded.source_updated_at, updated_at = now()
    WHERE supplier_parts.content_hash IS DISTINCT FROM excluded.content_hash
    RETURNING supplier_sku, (xmax = 0) AS inserted
)
SELECT count(*) AS offers,
       count(*) FILTER (WHERE u.inserted AND s.existed) AS merged
FROM upserted u JOIN stage_places s USING (supplier_sku)
"""
)
# Interchange named by staged offers: links between parts, never a merge (DOMAIN.md).
STAGED_INTERCHANGE = """
INSERT INTO part_interchange (part_id, brand_name, mpn_normalized, interchange_part_id, source)
SELECT s.part_id, x.brand_name, x.mpn, other.id, %s
FROM stage_places s JOIN stage_offers o USING (ord)
CROSS JOIN LATERAL (SELECT e->>0, e->>1 FROM jsonb_array_elements(o.interchange) AS e)
     AS x(brand_name, mpn)
LEFT JOIN brands b ON b.name = x.brand_name
LEFT JOIN parts other ON other.brand_id = b.id AND other.mpn_normalized = x.mpn
WHERE o.interchange IS NOT NULL AND s.part_id IS NOT NULL
ON CONFLICT (part_id, brand_name, mpn_normalized) DO NOTHING
"""
# Distinct fitment sets of the import, expanded per base vehicle (see staging.Fitsets).
CREATE_FITSET_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS stage_fitsets (
    fitset integer, base_vehicle_id integer, submodel text, engine_liters numeric(3,1),
    engine_cylinders smallint, engine_code text, fuel text, aspiration text, drive text,
    body text, transmission text, position text, quantity smallint, qualifiers jsonb,
    notes text[], confidence real, status text
) ON COMMIT DROP
"""
COPY_FITSET_STAGE = """
COPY stage_fitsets (fitset, base_vehicle_id, submodel, engine_liters, engine_cylinders,
    engine_code, fuel, aspiration, drive, body, transmission, position, quantity, qualifiers,
    notes, confidence, status) FROM STDIN
"""
CREATE_FITSET_INDEX = "CREATE INDEX IF NOT EXISTS stage_fitsets_set ON stage_fitsets (fitset)"
# (part, fitment set) pairs already written by this import: each is expanded once.
CREATE_APPLIED_FITSETS = """
CREATE TEMP TABLE IF NOT EXISTS applied_fitsets (
    part_id bigint, part_type_id integer, fitset integer, PRIMARY KEY (part_id, fitset)
) ON COMMIT DROP
"""
APPLY_FITSETS = """
WITH fresh AS (
    INSERT INTO applied_fitsets (part_id, part_type_id, fitset)
    SELECT DISTINCT part_id, part_type_id, unnest(fitsets) FROM stage_places
    WHERE part_id IS NOT NULL AND part_type_id IS NOT NULL AND fitsets IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING part_id, part_type_id, fitset
), written AS (
    INSERT INTO fitments (part_id, part_type_id, base_vehicle_id, submodel, engine_liters,
        engine_cylinders, engine_code, fuel, aspiration, drive, body, transmission, position,
        quantity, qualifiers, notes, confidence, status, source, supplier_id)
    SELECT p.part_id, p.part_type_id, f.base_vehicle_id, f.submodel, f.engine_liters,
        f.engine_cylinders, f.engine_code, f.fuel, f.aspiration, f.drive, f.body,
        f.transmission, f.position, f.quantity, f.qualifiers, f.notes, f.confidence, f.status,
        %s, %s
    FROM fresh p JOIN stage_fitsets f USING (fitset)
    ON CONFLICT ON CONSTRAINT fitments_application DO NOTHING
    RETURNING 1
)
SELECT count(*) AS fitments FROM written
"""
CREATE_FITMENT_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS stage_fitments (
    part_id bigint, part_type_id integer, base_vehicle_id integer, submodel text,
    engine_liters numeric(3,1), engine_cylinders smallint, engine_code text, fuel text,
    aspiration text, drive text, body text, transmission text, position text,
    quantity smallint, qualifiers jsonb, notes text[], confidence real, status text
) ON COMMIT DROP
"""
COPY_FITMENT_STAGE = """
COPY stage_fitments (part_id, part_type_id, base_vehicle_id, submodel, engine_liters,
    engine_cylinders, engine_code, fuel, aspiration, drive, body, transmission, position,
    quantity, qualifiers, notes, confidence, status) FROM STDIN
"""
MERGE_FITMENT_STAGE = """
INSERT INTO fitments (part_id, part_type_id, base_vehicle_id, submodel, engine_liters,
    engine_cylinders, engine_code, fuel, aspiration, drive, body, transmission, position,
    quantity, qualifiers, notes, confidence, status, source, supplier_id)
SELECT part_id, part_type_id, base_vehicle_id, submodel, engine_liters, engine_cylinders,
    engine_code, fuel, aspiration, drive, body, transmission, position, quantity, qualifiers,
    notes, confidence, status, %s, %s
FROM stage_fitments
ON CONFLICT ON CONSTRAINT fitments_application DO NOTHING
"""
CLEAR_FITMENT_STAGE = "TRUNCATE stage_fitments"
CLEAR_STAGES = """
TRUNCATE stage_offers, stage_places, seen_skus, stage_fitsets, applied_fitsets, stage_fitments
"""
