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
INSERT_REJECTION = """
INSERT INTO import_rejections (report_id, line, element, severity, reason, raw)
VALUES (%s, %s, %s, %s, %s, %s)
"""

# Dedupe step 1: the same brand and normalized part number.
PARTS_BY_KEY = """
SELECT p.id, p.brand_id, p.mpn_normalized, p.part_type_id, p.upc,
       p.description IS NOT NULL AS has_description, p.attributes
FROM parts p
JOIN unnest(%b::int[], %b::text[]) AS k(brand_id, mpn) ON p.brand_id = k.brand_id
                                                        AND p.mpn_normalized = k.mpn
"""
# Dedupe step 2: the same UPC/GTIN under another brand spelling or number.
PARTS_BY_UPC = """
SELECT DISTINCT ON (upc) id, upc, part_type_id, true AS has_upc,
       description IS NOT NULL AS has_description, attributes
FROM parts WHERE upc = ANY(%b::text[]) ORDER BY upc, id
"""
INSERT_PARTS = """
INSERT INTO parts (brand_id, part_number, mpn_normalized, part_type_id, title, description,
                   upc, attributes, fit_class)
SELECT * FROM unnest(%b::int[], %b::text[], %b::text[], %b::int[], %b::text[], %b::text[],
                     %b::text[], %b::jsonb[], %b::text[])
ON CONFLICT (brand_id, mpn_normalized) DO NOTHING
RETURNING id, brand_id, mpn_normalized, part_type_id
"""
# A later supplier fills what the first one left empty; it never overwrites.
FILL_PARTS = """
UPDATE parts p SET upc = COALESCE(p.upc, u.upc),
                   description = COALESCE(p.description, u.description),
                   attributes = u.attributes || p.attributes,
                   updated_at = now()
FROM unnest(%b::bigint[], %b::text[], %b::text[], %b::jsonb[])
     AS u(id, upc, description, attributes)
WHERE p.id = u.id
  AND ((p.upc IS NULL AND u.upc IS NOT NULL)
       OR (p.description IS NULL AND u.description IS NOT NULL)
       OR (u.attributes || p.attributes) IS DISTINCT FROM p.attributes)
RETURNING p.id
"""
OFFER_COLUMNS = """supplier_sku, part_id, brand_raw, mpn_raw, title_raw, uom, pack_qty, cost,
    jobber, map_price, msrp, core_charge, stock, stock_total, weight_lb, hazmat, raw,
    content_hash, source_updated_at"""
# Offers go through a staging table: COPY formats rows in C, far cheaper than arrays.
CREATE_OFFER_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS stage_offers (
    supplier_sku text, part_id bigint, brand_raw text, mpn_raw text, title_raw text, uom text,
    pack_qty integer, cost numeric, jobber numeric, map_price numeric, msrp numeric,
    core_charge numeric, stock jsonb, stock_total integer, weight_lb numeric, hazmat boolean,
    raw jsonb, content_hash text, source_updated_at timestamptz
) ON COMMIT DROP
"""
COPY_OFFER_STAGE = "COPY stage_offers (" + OFFER_COLUMNS + ") FROM STDIN"
MERGE_OFFER_STAGE = (
    "INSERT INTO supplier_parts (supplier_id, " + OFFER_COLUMNS + ")\n"
    "SELECT %s, "
    + OFFER_COLUMNS
    + " FROM stage_offers\n"
    + """ON CONFLICT (supplier_id, supplier_sku) DO UPDATE SET
    part_id = excluded.part_id, brand_raw = excluded.brand_raw, mpn_raw = excluded.mpn_raw,
    title_raw = excluded.title_raw, uom = excluded.uom, pack_qty = excluded.pack_qty,
    cost = excluded.cost, jobber = excluded.jobber, map_price = excluded.map_price,
    msrp = excluded.msrp, core_charge = excluded.core_charge, stock = excluded.stock,
    stock_total = excluded.stock_total, weight_lb = excluded.weight_lb,
    hazmat = excluded.hazmat, raw = excluded.raw, content_hash = excluded.content_hash,
    source_updated_at = excluded.source_updated_at, updated_at = now()
WHERE supplier_parts.content_hash IS DISTINCT FROM excluded.content_hash
RETURNING supplier_sku, (xmax = 0) AS inserted
"""
)
CLEAR_OFFER_STAGE = "TRUNCATE stage_offers"
# SKUs this import has written, kept server-side so the importer's memory stays flat.
CREATE_SEEN_SKUS = """
CREATE TEMP TABLE IF NOT EXISTS seen_skus (sku text PRIMARY KEY, place text NOT NULL)
ON COMMIT DROP
"""
# Where each SKU of a batch appeared earlier in this import (if it did); records the new place.
SEEN_BEFORE = """
WITH earlier AS (
    SELECT sku, place FROM seen_skus WHERE sku = ANY(%b::text[])
), noted AS (
    INSERT INTO seen_skus (sku, place) SELECT * FROM unnest(%b::text[], %b::text[])
    ON CONFLICT (sku) DO UPDATE SET place = excluded.place
)
SELECT sku, place FROM earlier
"""
INSERT_INTERCHANGE = """
INSERT INTO part_interchange (part_id, brand_name, mpn_normalized, interchange_part_id, source)
SELECT u.part_id, u.brand_name, u.mpn, other.id, %s
FROM unnest(%b::bigint[], %b::text[], %b::text[]) AS u(part_id, brand_name, mpn)
LEFT JOIN brands b ON b.name = u.brand_name
LEFT JOIN parts other ON other.brand_id = b.id AND other.mpn_normalized = u.mpn
ON CONFLICT (part_id, brand_name, mpn_normalized) DO NOTHING
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
