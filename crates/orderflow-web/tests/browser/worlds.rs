//! The organisations and people of each built-in workflow, made through
//! the API, that the browser tests sign in as, and the orders they start
//! from. One place, so that a test says only what is particular to it.

#![allow(dead_code)]

use serde_json::{Value, json};

use crate::harness::{Browser, Login, Server};

/// A clinic and its lab, one user each.
pub struct Dental {
    pub clinic: Login,
    pub lab: Login,
}

/// "Smile Clinic" (user `carla`) and "Dental Lab Co" (`luis`, with
/// `lab_roles`), the lab with `lab_settings`; both in `time_zone` (UTC
/// when `None`).
pub async fn dental(
    server: &Server,
    time_zone: Option<&str>,
    lab_settings: Value,
    lab_roles: &[&str],
) -> Dental {
    let zone = time_zone.map_or_else(|| json!({}), |z| json!({"time_zone": z}));
    let mut lab = zone.clone();
    if let (Some(lab), Some(extra)) = (lab.as_object_mut(), lab_settings.as_object()) {
        lab.extend(extra.clone());
    }
    server.organization("clinic", "Smile Clinic", zone).await;
    server.organization("lab", "Dental Lab Co", lab).await;
    Dental {
        clinic: server.user("carla", "clinic", &[]).await,
        lab: server.user("luis", "lab", lab_roles).await,
    }
}

/// A dental-lab order for the lab `lab` of `lines` (product, quantity,
/// unit price), as `POST /orders` takes it.
pub fn dental_order(lines: &[(&str, u32, &str)]) -> Value {
    json!({"workflow": "dental-lab", "parties": {"lab": "lab"},
           "inputs": {"lines": lines_json(lines)}})
}

/// An outlet's buyer and approver, and its supplier.
pub struct Purchasing {
    pub buyer: Login,
    pub approver: Login,
    pub supplier: Login,
}

/// "Corner Café" (with `outlet_settings`: a purchasing limit, a time
/// zone...), its buyer `bea` and approver `abe`, and "Bean Supplier"
/// (`sam`).
pub async fn purchasing(server: &Server, outlet_settings: Value) -> Purchasing {
    server
        .organization("cafe", "Corner Café", outlet_settings)
        .await;
    server
        .organization("beans", "Bean Supplier", json!({}))
        .await;
    Purchasing {
        buyer: server.user("bea", "cafe", &["buyer"]).await,
        approver: server.user("abe", "cafe", &["approver"]).await,
        supplier: server.user("sam", "beans", &[]).await,
    }
}

/// A purchasing order to Bean Supplier of `lines` (product, quantity,
/// unit price), as `POST /orders` takes it.
pub fn purchase(lines: &[(&str, u32, &str)]) -> Value {
    json!({"workflow": "purchasing", "parties": {"supplier": "beans"},
           "inputs": {"lines": lines_json(lines)}})
}

fn lines_json(lines: &[(&str, u32, &str)]) -> Value {
    lines
        .iter()
        .map(|(product, quantity, price)| {
            json!({"product": product, "quantity": quantity, "unit_price": price})
        })
        .collect()
}

/// A compliance owner's editor and view-only user.
pub struct Compliance {
    pub editor: Login,
    pub viewer: Login,
}

/// "Acme Compliance", its editor `eve` and its view-only `vic`.
pub async fn compliance(server: &Server) -> Compliance {
    server
        .organization("acme", "Acme Compliance", json!({}))
        .await;
    Compliance {
        editor: server.user("eve", "acme", &["edit"]).await,
        viewer: server.user("vic", "acme", &["view"]).await,
    }
}

/// A merchant and the print shop's people, one per role.
pub struct PrintShop {
    pub merchant: Login,
    pub manager: Login,
    pub operator: Login,
    pub shipper: Login,
}

/// "Tee Merchant" (`mia`) and "Print Shop" with one location, Chicago
/// (`chi`, every decoration, a pretreat system when `uses_pretreat`),
/// whose stock is `bins` (bin, SKU, units); the shop's manager `meg` (who
/// may take every step too), operator `otis` and shipper `sid`.
pub async fn print_shop(
    server: &Server,
    uses_pretreat: bool,
    bins: &[(&str, &str, u32)],
) -> PrintShop {
    server
        .organization("merch", "Tee Merchant", json!({}))
        .await;
    server
        .organization(
            "shop-co",
            "Print Shop",
            json!({"locations": [{"id": "chi", "name": "Chicago", "latitude": 41.88,
                   "longitude": -87.63, "capacity_units": 500, "uses_pretreat": uses_pretreat,
                   "decorations": ["dtg", "dtf", "embroidery"]}]}),
        )
        .await;
    let shop = PrintShop {
        merchant: server.user("mia", "merch", &[]).await,
        manager: server
            .user("meg", "shop-co", &["manager", "operator", "shipper"])
            .await,
        operator: server.user("otis", "shop-co", &["operator"]).await,
        shipper: server.user("sid", "shop-co", &["shipper"]).await,
    };
    server
        .api(
            "POST",
            "/inventory/locations",
            &shop.manager.token,
            json!({"id": "chi"}),
        )
        .await;
    for (bin, sku, quantity) in bins {
        server
            .api(
                "POST",
                "/inventory/locations/chi/bins",
                &shop.manager.token,
                json!({"id": bin, "sku": sku, "quantity": quantity}),
            )
            .await;
    }
    shop
}

/// A print-production order to Print Shop for Ada Lovelace in Milwaukee
/// of `items` (SKU, quantity, decoration, the design's file id).
pub fn print_order(reference: &str, items: &[(&str, u32, &str, &str)]) -> Value {
    let items: Vec<Value> = items
        .iter()
        .map(|(sku, quantity, decoration, design)| {
            json!({"sku": sku, "quantity": quantity, "decoration": decoration, "design": [design]})
        })
        .collect();
    json!({"workflow": "print-production", "parties": {"shop": "shop-co"},
           "inputs": {"reference": reference, "recipient": "Ada Lovelace",
             "address1": "1 Lake Dr", "city": "Milwaukee", "country": "US",
             "latitude": 43.04, "longitude": -87.91, "items": items}})
}

/// Fills and sends the new print-production order form for Ada Lovelace
/// at `(address, city, latitude, longitude)` in the US, one item
/// `(sku, quantity, decoration)` with the design file at `design`.
pub async fn create_print_order(
    b: &Browser,
    (address, city, latitude, longitude): (&str, &str, &str, &str),
    (sku, quantity, decoration): (&str, &str, &str),
    design: &std::path::Path,
) {
    b.goto("/orders/new?workflow=print-production").await;
    b.select("Print shop", "Print Shop").await;
    b.fill("Recipient", "Ada Lovelace").await;
    b.fill("Address", address).await;
    b.fill("City", city).await;
    b.fill("Country (ISO code)", "US").await;
    b.fill("Latitude", latitude).await;
    b.fill("Longitude", longitude).await;
    b.fill("SKU", sku).await;
    b.fill("Quantity", quantity).await;
    b.select("Decoration", decoration).await;
    b.field("Design")
        .await
        .send_keys(&design.display().to_string())
        .await
        .expect("the design chosen");
    b.click("Create order").await;
}

/// A PNG's first bytes: its signature and a header naming its size (all
/// the artwork check reads of an image).
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend(width.to_be_bytes());
    png.extend(height.to_be_bytes());
    png.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    png
}
