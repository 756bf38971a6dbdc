//! `https://` endpoints on loopback, each with a certificate issued for
//! 127.0.0.1 by a certificate authority made here: the deliverer trusts a
//! private CA only once it is given that CA (`[webhooks] ca_file`), and a
//! receiver whose CA it was not given gets nothing, the delivery keeping
//! why.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::Listener;
use chrono::{Duration, Utc};
use orderflow_notify::{WebhookDeliverer, WebhookPolicy, WebhookRound};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::{Shared, policy, receive, round, world};

/// A certificate authority of its own.
struct Authority(CertifiedIssuer<'static, KeyPair>);

impl Authority {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        Authority(CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap())
    }

    fn pem(&self) -> Vec<u8> {
        self.0.pem().into_bytes()
    }

    /// A server certificate for 127.0.0.1 and its key.
    fn issue(&self) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        let cert = params.signed_by(&key, &self.0).unwrap();
        let key = PrivatePkcs8KeyDer::from(key.serialize_der());
        (cert.der().clone(), key.into())
    }
}

/// Accepts TCP connections and completes the TLS handshake; a client that
/// refuses the certificate is dropped, as by any HTTPS server.
struct TlsListener {
    tcp: TcpListener,
    tls: TlsAcceptor,
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.tls.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// An HTTPS receiver presenting a certificate of `ca`: its base URL.
async fn https_receiver(ca: &Authority, shared: Shared) -> String {
    let (cert, key) = ca.issue();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", tcp.local_addr().unwrap());
    let listener = TlsListener {
        tcp,
        tls: TlsAcceptor::from(Arc::new(config)),
    };
    let app = axum::Router::new()
        .route("/{path}", axum::routing::post(receive))
        .with_state(shared);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_endpoints_are_trusted_through_the_configured_ca_only() {
    let (store, _dir) = super::sqlite().await;
    let w = world(Arc::clone(&store)).await;
    let private = Authority::new("orderflow test private CA");
    let unknown = Authority::new("orderflow test unknown CA");
    let received = Shared::default();
    let trusted_base = https_receiver(&private, Arc::clone(&received)).await;
    let untrusted_base = https_receiver(&unknown, Arc::clone(&received)).await;

    let (trusted_hook, trusted_secret) =
        w.s.webhook(&w.clinic, json!({"url": format!("{trusted_base}/trusted")}))
            .await;
    let (untrusted_hook, untrusted_secret) =
        w.s.webhook(
            &w.clinic,
            json!({"url": format!("{untrusted_base}/untrusted")}),
        )
        .await;
    {
        let mut r = received.lock().unwrap();
        r.secrets.insert("trusted".into(), trusted_secret);
        r.secrets.insert("untrusted".into(), untrusted_secret);
    }
    let order = w.s.dental_order(&w.clinic).await;
    let last_error = |deliveries: Vec<serde_json::Value>| {
        assert_eq!(deliveries.len(), 1, "{deliveries:?}");
        deliveries[0]["last_error"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };

    // Without the private CA, neither certificate is trusted.
    let public_only = WebhookDeliverer::new(Arc::clone(&store), policy()).unwrap();
    let now = Utc::now();
    assert_eq!(
        round(&public_only, now).await,
        WebhookRound {
            failed: 2,
            ..WebhookRound::default()
        }
    );
    assert!(received.lock().unwrap().requests.is_empty());
    for hook in [&trusted_hook, &untrusted_hook] {
        let error = last_error(w.s.deliveries(&w.clinic, hook).await);
        assert!(
            error.contains("the endpoint's TLS certificate is not trusted"),
            "{error}"
        );
    }

    // Given the private CA, the receiver it issued for gets the signed
    // delivery; the other still gets nothing.
    let with_ca = WebhookDeliverer::new(
        Arc::clone(&store),
        WebhookPolicy {
            extra_ca_pem: Some(private.pem()),
            ..policy()
        },
    )
    .unwrap();
    assert_eq!(
        round(&with_ca, now + Duration::hours(1)).await,
        WebhookRound {
            delivered: 1,
            failed: 1,
            ..WebhookRound::default()
        }
    );
    {
        let r = received.lock().unwrap();
        assert!(r.bad_signatures.is_empty(), "{:?}", r.bad_signatures);
        let got: Vec<(&str, &str)> = r
            .requests
            .iter()
            .map(|(path, _, body)| (path.as_str(), body["data"]["order_id"].as_str().unwrap()))
            .collect();
        assert_eq!(got, [("trusted", order.as_str())]);
    }
    let trusted = w.s.deliveries(&w.clinic, &trusted_hook).await;
    assert_eq!(trusted[0]["state"], "delivered");
    let untrusted = w.s.deliveries(&w.clinic, &untrusted_hook).await;
    assert_eq!(untrusted[0]["state"], "pending");
    assert_eq!(untrusted[0]["attempts"], 2);
    let error = last_error(untrusted);
    assert!(
        error.contains("the endpoint's TLS certificate is not trusted: no trusted certificate authority issued it"),
        "{error}"
    );
}
