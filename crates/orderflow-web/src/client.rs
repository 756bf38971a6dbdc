//! The address a sign-in came from, the throttle's second key: the peer,
//! or, when the peer is a proxy this deployment trusts, the client that
//! proxy says it forwarded. Behind a TLS proxy every request comes from
//! the proxy; keyed by its address, five wrong passwords from anyone would
//! slow down everyone.

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks.into())
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client's address. Each proxy appends the address it heard from
    /// to `X-Forwarded-For`, so the list is read from its end, through the
    /// trusted proxies, to the first address none of them is: what a
    /// client writes there itself can only come before that and is never
    /// taken.
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> String {
        let Some(mut addr) = peer else {
            return "unknown".to_owned();
        };
        if !self.trusts(addr) {
            return addr.to_string();
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            addr = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        addr.to_string()
    }
}

/// A proxy on the same host, the usual TLS front.
impl Default for TrustedProxies {
    fn default() -> Self {
        Self::new(loopback())
    }
}

/// 127.0.0.0/8 and ::1.
pub fn loopback() -> Vec<IpNet> {
    ["127.0.0.0/8", "::1/128"]
        .iter()
        .filter_map(|n| n.parse().ok())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for f in forwarded {
            h.append("x-forwarded-for", f.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_client_is_the_first_address_no_trusted_proxy_has() {
        let proxies = TrustedProxies::new(vec![
            "127.0.0.0/8".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
            "::1/128".parse().unwrap(),
        ]);
        // (peer, X-Forwarded-For headers, the client)
        let rows: &[(&str, &[&str], &str)] = &[
            // Not behind a proxy: the header is the client's own words.
            ("203.0.113.9", &["198.51.100.1"], "203.0.113.9"),
            // One trusted proxy.
            ("127.0.0.1", &["198.51.100.1"], "198.51.100.1"),
            // A client that wrote its own header: the proxy's entry wins.
            ("127.0.0.1", &["1.2.3.4, 198.51.100.1"], "198.51.100.1"),
            // Two trusted proxies, in one header or in two.
            ("127.0.0.1", &["198.51.100.1, 10.0.0.5"], "198.51.100.1"),
            ("127.0.0.1", &["198.51.100.1", "10.0.0.5"], "198.51.100.1"),
            // A trusted proxy that forwarded nothing: itself.
            ("127.0.0.1", &[], "127.0.0.1"),
            // Garbage stops the walk at the last address read.
            ("127.0.0.1", &["nonsense, 10.0.0.5"], "10.0.0.5"),
            ("::1", &["2001:db8::7"], "2001:db8::7"),
        ];
        for (peer, forwarded, client) in rows {
            let peer: IpAddr = peer.parse().unwrap();
            assert_eq!(
                proxies.client(Some(peer), &headers(forwarded)),
                *client,
                "peer {peer}, forwarded {forwarded:?}"
            );
        }
        assert_eq!(proxies.client(None, &headers(&[])), "unknown");
    }

    #[test]
    fn trusting_no_proxy_takes_the_peer() {
        let none = TrustedProxies::new(Vec::new());
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(
            none.client(Some(peer), &headers(&["198.51.100.1"])),
            "127.0.0.1"
        );
    }
}
