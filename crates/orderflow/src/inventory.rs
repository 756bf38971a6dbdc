//! `orderflow inventory ...`: print-production's stock locations, bins,
//! purchases, receipts and the intake check on demand, over the API
//! (docs/inventory.md), as a user with the role `manager` or `admin`.

use orderflow_api::{
    BinAdjustment, BinView, IntakeReport, IntakeRequest, NewBin, NewPurchase, NewReceipt,
    NewStockLocation, PurchaseView, ReceiptResult, StockLocationView,
};

use crate::client::enc;
use crate::commands::Connection;

#[derive(Debug, clap::Subcommand)]
pub enum Inventory {
    /// Lists the stock locations.
    Locations,
    /// Adds a stock location (one of the organisation's production
    /// locations, by its id).
    AddLocation {
        id: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Lists the bins of a location with their units.
    Bins {
        #[arg(long)]
        location: String,
    },
    /// Adds a bin of one SKU at a location.
    AddBin {
        id: String,
        #[arg(long)]
        location: String,
        #[arg(long)]
        sku: String,
        #[arg(long, default_value_t = 0)]
        quantity: u64,
    },
    /// Puts units into a bin (`5`) or takes them out (`-- -2`).
    Adjust {
        bin: String,
        #[arg(allow_negative_numbers = true)]
        delta: i64,
        #[arg(long)]
        location: String,
    },
    /// Lists the purchases with their units received, handed out and tied.
    Purchases,
    /// Records a purchase on order.
    AddPurchase {
        id: String,
        #[arg(long)]
        location: String,
        #[arg(long)]
        sku: String,
        #[arg(long)]
        ordered: u64,
        #[arg(long)]
        supplier: Option<String>,
    },
    /// Records a delivery of a purchase; its units go to the jobs tied to
    /// it, oldest first.
    Receive { purchase: String, quantity: u64 },
    /// Runs the intake check now (every location, or one).
    Intake {
        #[arg(long)]
        location: Option<String>,
    },
}

fn report(r: &IntakeReport) -> String {
    let mut out = format!(
        "intake: {} jobs, {} reserved from bins, {} from purchases, {} tied, {} waiting ({} ms)\n",
        r.jobs, r.reserved, r.received, r.tied, r.waiting, r.millis
    );
    for refused in &r.refused {
        out.push_str(&format!("  {}: {}\n", refused.job, refused.reason));
    }
    out
}

fn purchase_line(p: &PurchaseView) -> String {
    format!(
        "{}\t{}\t{}\tordered {}\treceived {}\thanded out {}\ttied {}\n",
        p.id, p.location, p.sku, p.ordered, p.received, p.consumed, p.tied
    )
}

pub async fn inventory(connection: &Connection, command: Inventory) -> anyhow::Result<String> {
    let client = connection.client()?;
    let bins_of = |location: &str| format!("/api/v1/inventory/locations/{}/bins", enc(location));
    Ok(match command {
        Inventory::Locations => {
            let list: Vec<StockLocationView> = client.get("/api/v1/inventory/locations").await?;
            list.iter()
                .map(|l| format!("{}\t{}\n", l.id, l.name))
                .collect()
        }
        Inventory::AddLocation { id, name } => {
            let l: StockLocationView = client
                .post(
                    "/api/v1/inventory/locations",
                    &NewStockLocation { id, name },
                )
                .await?;
            format!("location {} ({}) added\n", l.id, l.name)
        }
        Inventory::Bins { location } => {
            let list: Vec<BinView> = client.get(&bins_of(&location)).await?;
            list.iter()
                .map(|b| format!("{}\t{}\t{}\n", b.id, b.sku, b.quantity))
                .collect()
        }
        Inventory::AddBin {
            id,
            location,
            sku,
            quantity,
        } => {
            let b: BinView = client
                .post(&bins_of(&location), &NewBin { id, sku, quantity })
                .await?;
            format!(
                "bin {} at {}: {} x {}\n",
                b.id, b.location, b.quantity, b.sku
            )
        }
        Inventory::Adjust {
            bin,
            delta,
            location,
        } => {
            let b: BinView = client
                .post(
                    &format!("{}/{}/adjust", bins_of(&location), enc(&bin)),
                    &BinAdjustment { delta },
                )
                .await?;
            format!(
                "bin {} at {}: {} x {}\n",
                b.id, b.location, b.quantity, b.sku
            )
        }
        Inventory::Purchases => {
            let list: Vec<PurchaseView> = client.get("/api/v1/inventory/purchases").await?;
            list.iter().map(purchase_line).collect()
        }
        Inventory::AddPurchase {
            id,
            location,
            sku,
            ordered,
            supplier,
        } => {
            let p: PurchaseView = client
                .post(
                    "/api/v1/inventory/purchases",
                    &NewPurchase {
                        id,
                        location,
                        sku,
                        ordered,
                        supplier,
                    },
                )
                .await?;
            purchase_line(&p)
        }
        Inventory::Receive { purchase, quantity } => {
            let r: ReceiptResult = client
                .post(
                    &format!("/api/v1/inventory/purchases/{}/receipts", enc(&purchase)),
                    &NewReceipt { quantity },
                )
                .await?;
            format!("{}{}", purchase_line(&r.purchase), report(&r.intake))
        }
        Inventory::Intake { location } => {
            let r: IntakeReport = client
                .post("/api/v1/inventory/intake", &IntakeRequest { location })
                .await?;
            report(&r)
        }
    })
}
