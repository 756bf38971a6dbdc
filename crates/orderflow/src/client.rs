//! A thin HTTP client of orderflow's API, shared by the command-line client
//! (`orders`, `organizations`, `users`, `tokens`) and `demo`. Bodies are the
//! wire types of `orderflow-api`; refusals come back as the server's
//! problem, which `problem_line` turns into one line for people.

use std::fmt;

use orderflow_api::Problem;
use reqwest::{Method, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

/// What went wrong talking to the server.
#[derive(Debug)]
pub enum ClientError {
    /// The server refused, with its problem.
    Problem(Box<Problem>),
    /// No answer: connection refused, timeout, a body that is not JSON ...
    Transport(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Problem(p) => f.write_str(&problem_line(p)),
            Self::Transport(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ClientError {}

/// A problem as one line that names what is wrong: its code in words, then
/// the server's detail (which names the fields, the rule, the states ...).
pub fn problem_line(p: &Problem) -> String {
    let label = p.code.replace('_', " ");
    let mut detail = p.detail.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(fields) = &p.fields {
        for f in fields {
            if !detail.contains(&f.field) {
                detail.push_str(&format!("; {}: {}", f.field, f.message));
            }
        }
    }
    if detail.is_empty() {
        label
    } else if detail.starts_with(&label) {
        detail
    } else {
        format!("{label}: {detail}")
    }
}

/// A connection to one server as one caller.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base: &str, token: Option<String>) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| ClientError::Transport(format!("cannot make an HTTP client: {e}")))?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            token,
            http,
        })
    }

    /// The same server as another caller.
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            base: self.base.clone(),
            token: Some(token.to_owned()),
            http: self.http.clone(),
        }
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let req = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    /// Sends a request; a success is decoded as `T`, a refusal as the
    /// server's problem.
    pub async fn send<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T, ClientError> {
        let response = req.send().await.map_err(|e| self.transport(&e))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| self.transport(&e))?;
        if status.is_success() {
            // An answer without a body (204) reads as JSON `null`: `()`.
            let text = if text.trim().is_empty() {
                "null"
            } else {
                &text
            };
            return serde_json::from_str(text).map_err(|e| {
                ClientError::Transport(format!(
                    "{} answered {status} with a body this client does not understand: {e}",
                    self.base
                ))
            });
        }
        match serde_json::from_str::<Problem>(&text) {
            Ok(p) => Err(ClientError::Problem(Box::new(p))),
            Err(_) => Err(ClientError::Transport(format!(
                "{} answered {status}: {}",
                self.base,
                text.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .chars()
                    .take(200)
                    .collect::<String>()
            ))),
        }
    }

    fn transport(&self, e: &reqwest::Error) -> ClientError {
        let what = if e.is_connect() {
            "cannot connect".to_owned()
        } else if e.is_timeout() {
            "no answer in time".to_owned()
        } else {
            let mut m = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                m = format!("{m}: {s}");
                source = s.source();
            }
            m
        };
        ClientError::Transport(format!(
            "{what} to {} (is orderflow serving there?)",
            self.base
        ))
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    pub async fn put<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.send(self.request(Method::PUT, path).json(body)).await
    }

    /// Takes an action on an order.
    pub async fn act(
        &self,
        order: &str,
        action: &str,
        inputs: &Json,
    ) -> Result<orderflow_api::OrderView, ClientError> {
        self.post(
            &format!("/api/v1/orders/{}/actions/{}", enc(order), enc(action)),
            inputs,
        )
        .await
    }

    /// Takes an action on an order's child (an item, a job).
    pub async fn act_child(
        &self,
        order: &str,
        child: &str,
        action: &str,
        inputs: &Json,
    ) -> Result<orderflow_api::OrderView, ClientError> {
        self.post(
            &format!(
                "/api/v1/orders/{}/children/{}/actions/{}",
                enc(order),
                enc(child),
                enc(action)
            ),
            inputs,
        )
        .await
    }
}

/// A path segment, percent-encoded.
pub fn enc(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use orderflow_api::FieldProblem;

    #[test]
    fn problems_are_one_line_naming_what_is_wrong() {
        let p = Problem::new(
            409,
            "not_available",
            "Not available",
            "ship is not available while the order is \"draft\"; it is available in: produced",
        );
        assert_eq!(
            problem_line(&p),
            "not available: ship is not available while the order is \"draft\"; it is available in: produced"
        );
        let mut p = Problem::new(
            422,
            "invalid_input",
            "Invalid input",
            "invalid input: production_date: is required",
        );
        p.fields = Some(vec![
            FieldProblem {
                field: "production_date".into(),
                message: "is required".into(),
            },
            FieldProblem {
                field: "note".into(),
                message: "too long".into(),
            },
        ]);
        assert_eq!(
            problem_line(&p),
            "invalid input: production_date: is required; note: too long"
        );
        let p = Problem::new(404, "not_found", "Not found", "no such\norder");
        assert_eq!(problem_line(&p), "not found: no such order");
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(enc("a b/c"), "a%20b%2Fc");
        assert_eq!(enc("0190-ab_c.d"), "0190-ab_c.d");
    }
}
