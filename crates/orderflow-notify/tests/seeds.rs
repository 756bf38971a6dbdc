//! The e-mails purchasing promises, end to end: orders taken through the
//! application layer on a real SQLite store, the deliverer sending to an
//! SMTP server on loopback. The supplier's users are e-mailed on a new
//! pending order, on a dispute and on an abandoned order, and on nothing
//! else; a user who opted out of a kind gets none of it; a user without
//! an address gets none; an order the supplier never saw (abandoned while
//! awaiting approval) tells it nothing, in its inbox either.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use orderflow_api::{CreateOrganization, CreateUser};
use orderflow_app::{Act, App, Body, Caller, Limits, SystemClock, UserCaller, built_in_workflows};
use orderflow_notify::Deliverer;
use orderflow_sqlite::SqliteStore;
use orderflow_store::Store;
use serde_json::{Value as Json, json};
use support::{Mail, Sink};

const PUBLIC_URL: &str = "https://orders.example";

struct World {
    app: App,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

impl World {
    /// The outlet "Corner Shop" (limit 100.00) with buyer `bo` and
    /// approver `al`; the supplier "Fresh Farms" with `sam` and `sue`
    /// (addresses) and `sid` (none).
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
        let app = App::new(
            Arc::clone(&store),
            built_in_workflows().unwrap(),
            None,
            Arc::new(SystemClock),
            Limits::default(),
        )
        .with_public_url(&format!("{PUBLIC_URL}/"));
        for (id, name, settings) in [
            (
                "corner",
                "Corner Shop",
                json!({"purchasing_limit": "100.00"}),
            ),
            ("farm", "Fresh Farms", json!({})),
        ] {
            app.create_organization(
                &Caller::Admin,
                CreateOrganization {
                    id: id.into(),
                    name: name.into(),
                    settings: settings.as_object().cloned().unwrap(),
                },
            )
            .await
            .unwrap();
        }
        for (id, org, role, email) in [
            ("bo", "corner", Some("buyer"), Some("bo@corner.example")),
            ("al", "corner", Some("approver"), Some("al@corner.example")),
            ("sam", "farm", None, Some("sam@farm.example")),
            ("sid", "farm", None, None),
            ("sue", "farm", None, Some("sue@farm.example")),
        ] {
            app.create_user(
                &Caller::Admin,
                CreateUser {
                    id: Some(id.into()),
                    name: id.into(),
                    organization: org.into(),
                    roles: role.map(str::to_owned).into_iter().collect(),
                    email: email.map(str::to_owned),
                    password: None,
                },
            )
            .await
            .unwrap();
        }
        World {
            app,
            store,
            _dir: dir,
        }
    }

    async fn user(&self, id: &str) -> UserCaller {
        UserCaller(self.store.user(id).await.unwrap().unwrap())
    }

    /// Creates a purchasing order as `bo`: its id and number.
    async fn create(&self, lines: Json, note: Option<&str>) -> (String, String) {
        let mut inputs = json!({ "lines": lines });
        if let Some(note) = note {
            inputs["note"] = json!(note);
        }
        let body =
            json!({"workflow": "purchasing", "parties": {"supplier": "farm"}, "inputs": inputs});
        let answer = self
            .app
            .create_order(&self.user("bo").await, Body::Value(body), None)
            .await
            .unwrap();
        let view = answer.body.into_view().unwrap();
        let number = view.number.unwrap_or_else(|| view.id.clone());
        (view.id, number)
    }

    async fn act(&self, user: &str, order: &str, action: &str, inputs: Json) {
        self.app
            .act(
                &self.user(user).await,
                Act {
                    order,
                    child: None,
                    action,
                    inputs: Body::Value(inputs),
                    if_match: None,
                    idempotency: None,
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{action} on {order}: {e:?}"));
    }
}

fn lines() -> Json {
    json!([
        {"product": "Flour", "quantity": 2, "unit_price": "3.50"},
        {"product": "Yeast", "quantity": 1, "unit_price": "1.25"},
    ])
}

const LINES_TEXT: &str = "- 2 x Flour at 3.50 EUR\n- 1 x Yeast at 1.25 EUR\nTotal: 8.25 EUR";

fn now() -> DateTime<Utc> {
    Utc::now()
}

#[tokio::test]
async fn the_supplier_is_e_mailed_exactly_what_the_help_page_promises() {
    let w = World::new().await;
    w.app
        .set_email_opt_outs(&w.user("sue").await, &["order_abandoned".to_owned()])
        .await
        .unwrap();

    // A: pending (e-mail), accepted, completed, disputed (e-mail).
    let (a, a_no) = w.create(lines(), Some("Before noon please")).await;
    // B: over the limit, abandoned before approval: the supplier never
    // saw it.
    let (b, _) = w
        .create(
            json!([{"product": "Flour", "quantity": 60, "unit_price": "3.50"}]),
            None,
        )
        .await;
    w.act("bo", &b, "abandon", json!({})).await;
    w.act("sam", &a, "accept", json!({})).await;
    w.act("bo", &a, "complete", json!({})).await;
    w.act("bo", &a, "dispute", json!({"note": "Two bags torn"}))
        .await;
    // C: pending (e-mail), abandoned (e-mail, not to sue).
    let (c, c_no) = w.create(lines(), None).await;
    w.act("bo", &c, "abandon", json!({})).await;

    let sink = Sink::start().await;
    let deliverer = Deliverer::new(
        Arc::clone(&w.store),
        &sink.url(),
        "orderflow@orders.example",
        PUBLIC_URL,
    )
    .unwrap();
    let round = deliverer.round(now()).await.unwrap();
    assert_eq!((round.failed, round.dead), (0, 0));

    let mails = sink.mails();
    let got: Vec<(String, Vec<String>)> = mails
        .iter()
        .map(|m| (m.header("Subject").unwrap(), m.to.clone()))
        .collect();
    let both = vec!["sam@farm.example".to_owned(), "sue@farm.example".to_owned()];
    assert_eq!(
        got,
        vec![
            (format!("New order {a_no} from Corner Shop"), both.clone()),
            (
                format!("Order {a_no} is disputed by Corner Shop"),
                both.clone()
            ),
            (format!("New order {c_no} from Corner Shop"), both.clone()),
            (
                format!("Order {c_no} was abandoned by Corner Shop"),
                vec!["sam@farm.example".to_owned()]
            ),
        ],
        "exactly the seed's e-mails, to the supplier's users who want them"
    );

    let text = |m: &Mail| m.part("text/plain").unwrap_or_else(|| panic!("{}", m.data));
    assert_eq!(
        text(&mails[0]),
        format!(
            "Hello Fresh Farms,\n\nCorner Shop sent you order {a_no}. Please accept or decline it.\n\n\
             {LINES_TEXT}\n\nNote from Corner Shop: Before noon please\n\n\
             Open the order: {PUBLIC_URL}/orders/{a}"
        )
    );
    assert_eq!(
        text(&mails[1]),
        format!(
            "Hello Fresh Farms,\n\nCorner Shop disputes the delivery of order {a_no}.\n\n\
             Their note: Two bags torn\n\n{LINES_TEXT}\n\nOpen the order: {PUBLIC_URL}/orders/{a}"
        )
    );
    assert_eq!(
        text(&mails[3]),
        format!(
            "Hello Fresh Farms,\n\nCorner Shop abandoned order {c_no}: nothing more will be done with it.\n\n\
             Open the order: {PUBLIC_URL}/orders/{c}"
        )
    );
    for m in &mails {
        assert!(
            m.header("Content-Type")
                .unwrap()
                .starts_with("multipart/alternative"),
            "{}",
            m.data
        );
        assert!(m.from.contains("orderflow@orders.example"));
    }
    let html = mails[0].part("text/html").unwrap();
    assert!(
        html.contains(&format!(
            "<a href=\"{PUBLIC_URL}/orders/{a}\">Open order {a_no}</a>"
        )),
        "{html}"
    );
    assert!(
        html.contains("<td>Flour</td><td align=\"right\">2</td><td align=\"right\">3.50 EUR</td>"),
        "{html}"
    );

    // Every message stays in the inbox, e-mailed or not, and the supplier's
    // inbox holds nothing of order B.
    let inbox = w.app.inbox(&w.user("sid").await, None, None).await.unwrap();
    let mut told: Vec<(String, String)> = inbox
        .items
        .iter()
        .map(|n| (n.order_id.clone(), n.template.clone()))
        .collect();
    told.sort();
    let mut expected = vec![
        (a.clone(), "order_pending".to_owned()),
        (a.clone(), "order_completed".to_owned()),
        (a.clone(), "order_disputed".to_owned()),
        (c.clone(), "order_pending".to_owned()),
        (c.clone(), "order_abandoned".to_owned()),
    ];
    expected.sort();
    assert_eq!(told, expected);
    assert_eq!(inbox.unread, 5);
    let outlet = w.app.inbox(&w.user("al").await, None, None).await.unwrap();
    let mut outlet_told: Vec<(String, String)> = outlet
        .items
        .iter()
        .map(|n| (n.order_id.clone(), n.template.clone()))
        .collect();
    outlet_told.sort();
    let mut expected = vec![
        (b.clone(), "order_needs_approval".to_owned()),
        (a.clone(), "order_accepted".to_owned()),
    ];
    expected.sort();
    assert_eq!(outlet_told, expected);

    assert_eq!(
        deliverer.round(now()).await.unwrap(),
        orderflow_notify::Round::default(),
        "nothing is sent twice"
    );
}
