//! Webhook deliveries: claimed under a lease like the outbox, sent as a
//! signed POST (Standard Webhooks), retried with exponential backoff and
//! jitter, and given up on (dead, kept with the last error, redeliverable
//! by hand) after an attempt limit or an age limit, whichever comes first.
//!
//! The deliverer reads no clock of its own: every round is given `now`, so
//! tests step through days of retries without sleeping.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use hmac::{Hmac, KeyInit, Mac};
use orderflow_store::{Store, WebhookDelivery, WebhookEndpoint};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use sha2::{Digest, Sha256};

use crate::NotifyError;

/// How deliveries are retried and bounded.
#[derive(Debug, Clone)]
pub struct WebhookPolicy {
    /// The wait after the first failure; it doubles after each next one.
    pub backoff_base: chrono::Duration,
    /// The longest wait between two attempts.
    pub backoff_max: chrono::Duration,
    /// Attempts before a delivery is given up on.
    pub attempts_max: u32,
    /// Age after which a failing delivery is given up on.
    pub give_up_after: chrono::Duration,
    /// One attempt's limit, connecting and answering included.
    pub timeout: Duration,
    /// Deliveries claimed per round.
    pub batch: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// How long a claim lasts before another server may take the delivery.
    pub lease_secs: u32,
    /// Certificates (PEM) of authorities trusted for `https://` endpoints
    /// besides the bundled public ones: a deployment's private CA.
    pub extra_ca_pem: Option<Vec<u8>>,
}

impl Default for WebhookPolicy {
    /// 30 s after the first failure, doubling up to 6 h; given up on after
    /// 3 days or 30 attempts (about 20 fit in 3 days).
    fn default() -> Self {
        Self {
            backoff_base: chrono::Duration::seconds(30),
            backoff_max: chrono::Duration::hours(6),
            attempts_max: 30,
            give_up_after: chrono::Duration::days(3),
            timeout: Duration::from_secs(10),
            batch: 200,
            concurrency: 32,
            lease_secs: 120,
            extra_ca_pem: None,
        }
    }
}

impl WebhookPolicy {
    /// The wait before attempt `attempts + 1`: the base doubled per earlier
    /// failure, capped, then between half and all of it. The jitter comes
    /// from a hash of the delivery's id, so deliveries that failed together
    /// spread out and a retry's time is the same on every server.
    pub fn retry_delay(&self, id: &str, attempts: u32) -> chrono::Duration {
        let doubled = 1i32 << attempts.saturating_sub(1).min(30);
        let full = self
            .backoff_base
            .checked_mul(doubled)
            .unwrap_or(self.backoff_max)
            .min(self.backoff_max);
        let digest = Sha256::digest(format!("{id}:{attempts}").as_bytes());
        let share = f64::from(digest[0]) / 255.0;
        let ms = full.num_milliseconds() as f64 * (0.5 + 0.5 * share);
        chrono::Duration::milliseconds(ms as i64)
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WebhookRound {
    pub delivered: u32,
    /// Failed, to be retried.
    pub failed: u32,
    /// Failed and given up on.
    pub dead: u32,
}

/// The `webhook-signature` header of a body: `v1,` and the base64
/// HMAC-SHA256 of `"{id}.{timestamp}.{body}"` keyed with the secret's
/// decoded bytes (`whsec_` and base64).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
    let key = BASE64
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|e| format!("the endpoint's secret is not base64: {e}"))?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&key).map_err(|e| format!("the endpoint's secret: {e}"))?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Ok(format!("v1,{}", BASE64.encode(mac.finalize().into_bytes())))
}

pub struct WebhookDeliverer {
    store: Arc<dyn Store>,
    client: reqwest::Client,
    policy: WebhookPolicy,
}

impl WebhookDeliverer {
    pub fn new(store: Arc<dyn Store>, policy: WebhookPolicy) -> Result<Self, NotifyError> {
        let client = reqwest::Client::builder()
            .tls_certs_only(trusted_roots(policy.extra_ca_pem.as_deref())?)
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            // A receiver answers where it is; following a redirect would
            // send signed order data to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("orderflow-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| NotifyError::Http(e.to_string()))?;
        Ok(Self {
            store,
            client,
            policy,
        })
    }

    /// Claims the deliveries due at `now`, sends them, and marks each.
    pub async fn round(&self, now: DateTime<Utc>) -> Result<WebhookRound, NotifyError> {
        let claimed = self
            .store
            .claim_webhook_deliveries(now, self.policy.lease_secs, self.policy.batch)
            .await?;
        let mut endpoints: HashMap<String, Option<WebhookEndpoint>> = HashMap::new();
        for d in &claimed {
            if !endpoints.contains_key(&d.endpoint) {
                let found = self.store.webhook(&d.endpoint).await?;
                endpoints.insert(d.endpoint.clone(), found);
            }
        }
        let outcomes: Vec<Result<Outcome, NotifyError>> = futures_util::stream::iter(claimed)
            .map(|d| {
                let endpoint = endpoints.get(&d.endpoint).cloned().flatten();
                async move { self.deliver(d, endpoint.as_ref(), now).await }
            })
            .buffer_unordered(self.policy.concurrency.max(1))
            .collect()
            .await;
        let mut round = WebhookRound::default();
        for outcome in outcomes {
            match outcome? {
                Outcome::Delivered => round.delivered += 1,
                Outcome::Retry => round.failed += 1,
                Outcome::Dead => round.dead += 1,
            }
        }
        Ok(round)
    }

    /// Runs rounds every `every` until `stop` fires; a full round is
    /// followed by another at once.
    pub async fn run(self, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    match self.round(Utc::now()).await {
                        Ok(r) if r.delivered + r.failed + r.dead >= self.policy.batch => tick.reset_immediately(),
                        Ok(_) => {}
                        Err(e) => tracing::error!("webhook round failed: {e}"),
                    }
                }
                _ = stop.changed() => return,
            }
        }
    }

    async fn deliver(
        &self,
        d: WebhookDelivery,
        endpoint: Option<&WebhookEndpoint>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, NotifyError> {
        let error = match endpoint {
            None => {
                let error = "the endpoint was removed";
                self.store.webhook_failed(&d.id, error, None, now).await?;
                return Ok(Outcome::Dead);
            }
            Some(e) => match self.send(e, &d, now).await {
                Ok(()) => {
                    self.store.webhook_delivered(&d.id, now).await?;
                    return Ok(Outcome::Delivered);
                }
                Err(error) => error,
            },
        };
        let give_up = d.attempts >= self.policy.attempts_max
            || now - d.retrying_since.unwrap_or(d.created_at) >= self.policy.give_up_after;
        let retry_at = (!give_up).then(|| now + self.policy.retry_delay(&d.id, d.attempts));
        tracing::warn!(delivery = %d.id, endpoint = %d.endpoint, attempts = d.attempts, ?retry_at, "webhook delivery failed: {error}");
        self.store
            .webhook_failed(&d.id, &error, retry_at, now)
            .await?;
        Ok(if give_up {
            Outcome::Dead
        } else {
            Outcome::Retry
        })
    }

    /// One signed POST; any answer but 2xx is a failure, named.
    async fn send(
        &self,
        endpoint: &WebhookEndpoint,
        d: &WebhookDelivery,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let body = serde_json::to_vec(&d.payload).map_err(|e| e.to_string())?;
        let timestamp = now.timestamp();
        let signature = sign(&endpoint.secret, &d.id, timestamp, &body)?;
        let answer = self
            .client
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header("webhook-id", &d.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let status = answer.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the endpoint answered HTTP {status}"))
        }
    }
}

enum Outcome {
    Delivered,
    Retry,
    Dead,
}

/// The public authorities (Mozilla's list, bundled, so a server trusts the
/// same ones whatever its system has installed) and the deployment's own.
fn trusted_roots(extra_pem: Option<&[u8]>) -> Result<Vec<reqwest::Certificate>, NotifyError> {
    let mut roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| reqwest::Certificate::from_der(der))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| NotifyError::Http(e.to_string()))?;
    let Some(pem) = extra_pem else {
        return Ok(roots);
    };
    let public = roots.len();
    for (n, der) in CertificateDer::pem_slice_iter(pem).enumerate() {
        let refused = |why: String| NotifyError::CaFile(format!("certificate {}: {why}", n + 1));
        let der = der.map_err(|e| refused(e.to_string()))?;
        // Parsed now, so a damaged file stops the start rather than every
        // delivery.
        rustls::RootCertStore::empty()
            .add(der.clone())
            .map_err(|e| refused(e.to_string()))?;
        roots.push(reqwest::Certificate::from_der(&der).map_err(|e| refused(e.to_string()))?);
    }
    if roots.len() == public {
        return Err(NotifyError::CaFile(
            "it holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned(),
        ));
    }
    Ok(roots)
}

/// A transport error with its causes (reqwest's own message says only
/// "error sending request"), led by what a person should do about a
/// certificate the deliverer refused.
fn describe(e: &reqwest::Error) -> String {
    let mut out = if e.is_timeout() {
        "timed out".to_owned()
    } else {
        e.to_string()
    };
    let mut refused = None;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        refused = refused.or_else(|| certificate_refused(s));
        source = s.source();
    }
    match refused {
        Some(why) => format!("{why} ({out})"),
        None => out,
    }
}

/// Says why, when `e` is rustls refusing the endpoint's certificate. An
/// I/O error hides what it wraps from `source()` (the connector wraps one
/// in another), so those are opened.
fn certificate_refused(mut e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let tls = loop {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            break tls;
        }
        e = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    };
    match tls {
        rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer) => Some(
            "the endpoint's TLS certificate is not trusted: no trusted certificate authority issued it (a private CA goes in the webhooks' ca_file)"
                .to_owned(),
        ),
        rustls::Error::InvalidCertificate(why) => Some(format!(
            "the endpoint's TLS certificate is not trusted: {why}"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_standard_webhooks_one() {
        // The example of the Standard Webhooks specification's reference
        // libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).ok(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".to_owned())
        );
    }

    #[test]
    fn a_ca_file_must_hold_a_certificate() {
        let refused = |pem: &[u8]| match trusted_roots(Some(pem)) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        };
        assert!(refused(b"not a certificate").contains("holds no PEM certificate"));
        assert!(
            refused(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .starts_with("the webhooks' CA file: certificate 1:")
        );
        let public = trusted_roots(None).map(|roots| roots.len()).unwrap_or(0);
        assert!(public > 100, "{public} public authorities");
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_the_cap() {
        let policy = WebhookPolicy::default();
        for attempts in 1..=40u32 {
            let full = (30i64 << attempts.saturating_sub(1).min(30)).min(6 * 3600);
            let delay = policy.retry_delay("msg_x", attempts).num_milliseconds();
            assert!(
                delay >= full * 500 && delay <= full * 1000,
                "attempt {attempts}: {delay} ms for {full} s"
            );
        }
        let spread: std::collections::BTreeSet<i64> = (0..20)
            .map(|n| {
                policy
                    .retry_delay(&format!("msg_{n}"), 3)
                    .num_milliseconds()
            })
            .collect();
        assert!(spread.len() > 5, "jitter spreads retries: {spread:?}");
    }
}
