//! A print shop on a real store (SQLite, or a throw-away PostgreSQL),
//! through the application layer: a merchant, the shop's manager, a stock
//! location `chi` and orders whose jobs wait for intake there.

use std::sync::Arc;

use orderflow_api::{CreateOrganization, CreateUser, NewBin, NewPurchase, NewStockLocation};
use orderflow_app::{App, Body, Caller, Limits, SystemClock, UserCaller, built_in_workflows};
use orderflow_sqlite::{SqliteConfig, SqliteStore};
use orderflow_store::Store;
use serde_json::{Value, json};

pub struct Shop {
    pub app: App,
    pub merchant: UserCaller,
    pub manager: UserCaller,
    design: String,
    _dir: Option<tempfile::TempDir>,
}

/// A PNG's first bytes, naming a size every decoration takes.
fn png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend(3000u32.to_be_bytes());
    png.extend(3000u32.to_be_bytes());
    png.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    png
}

impl Shop {
    /// On SQLite in a temporary directory.
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = SqliteConfig::new(dir.path());
        config.synchronous_full = false;
        let store = Arc::new(SqliteStore::open_with(config).await.unwrap());
        Self::on(store, Some(dir)).await
    }

    /// On a fresh database of the tests' PostgreSQL.
    pub async fn on_postgres() -> Self {
        let store = orderflow_postgres::testing::fresh_store().await.unwrap();
        Self::on(Arc::new(store), None).await
    }

    async fn on(store: Arc<dyn Store>, dir: Option<tempfile::TempDir>) -> Self {
        let app = App::new(
            store,
            built_in_workflows().unwrap(),
            None,
            Arc::new(SystemClock),
            Limits::default(),
        );
        let org = |id: &str, settings: Value| CreateOrganization {
            id: id.into(),
            name: id.into(),
            settings: serde_json::from_value(settings).unwrap(),
        };
        app.create_organization(&Caller::Admin, org("merch", json!({})))
            .await
            .unwrap();
        app.create_organization(
            &Caller::Admin,
            org(
                "shop",
                json!({"locations": [{"id": "chi", "latitude": 41.88, "longitude": -87.63,
                        "capacity_units": 1_000_000, "decorations": ["dtf"]}]}),
            ),
        )
        .await
        .unwrap();
        let user = async |id: &str, organization: &str, roles: &[&str]| {
            app.create_user(
                &Caller::Admin,
                CreateUser {
                    id: Some(id.into()),
                    name: id.into(),
                    organization: organization.into(),
                    roles: roles.iter().map(|r| (*r).to_owned()).collect(),
                    email: None,
                    password: None,
                },
            )
            .await
            .unwrap();
            UserCaller(app.store.user(id).await.unwrap().unwrap())
        };
        let merchant = user("mia", "merch", &[]).await;
        let manager = user("meg", "shop", &["manager"]).await;
        let design = app
            .upload_file(&merchant, Some("tee.png"), "image/png", &png())
            .await
            .unwrap()
            .id;
        app.create_stock_location(
            &manager,
            &NewStockLocation {
                id: "chi".into(),
                name: None,
            },
        )
        .await
        .unwrap();
        Shop {
            app,
            merchant,
            manager,
            design,
            _dir: dir,
        }
    }

    /// A new order of `units` jobs of `sku` at `chi`; its id.
    pub async fn order(&self, sku: &str, units: u64) -> String {
        let answer = self
            .app
            .create_order(
                &self.merchant,
                Body::Value(json!({
                    "workflow": "print-production", "parties": {"shop": "shop"},
                    "inputs": {"recipient": "Ada", "address1": "1 Lake Dr", "city": "Milwaukee",
                        "country": "US", "latitude": 43.04, "longitude": -87.91,
                        "items": [{"sku": sku, "quantity": units, "decoration": "dtf",
                                   "design": [self.design]}]}
                })),
                None,
            )
            .await
            .unwrap();
        let view = answer.body.into_view().unwrap();
        assert_eq!(view.status.id, "intake_hold", "{view:?}");
        view.id
    }

    pub async fn bin(&self, id: &str, sku: &str, quantity: u64) {
        let bin = NewBin {
            id: id.into(),
            sku: sku.into(),
            quantity,
        };
        self.app
            .create_bin(&self.manager, "chi", &bin)
            .await
            .unwrap();
    }

    pub async fn purchase(&self, id: &str, sku: &str, ordered: u64) {
        let purchase = NewPurchase {
            id: id.into(),
            location: "chi".into(),
            sku: sku.into(),
            ordered,
            supplier: None,
        };
        self.app
            .create_purchase(&self.manager, &purchase)
            .await
            .unwrap();
    }
}
