//! The client address of a request: the peer of the connection, unless the peer is a reverse
//! proxy the configuration trusts (`PORTAL_TRUSTED_PROXIES`), in which case the rightmost
//! address of `X-Forwarded-For` that is not itself a trusted proxy. Everything left of that
//! address was written by the client and is ignored, so a client cannot choose its own
//! address by sending the header.

use std::net::{IpAddr, SocketAddr};

use anyhow::bail;
use ipnet::IpNet;

/// The reverse proxies whose `X-Forwarded-For` is believed; none by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses (`10.0.0.5`, `::1`) and networks
    /// (`10.0.0.0/8`, `fd00::/8`).
    ///
    /// # Errors
    /// When an entry is neither.
    pub fn parse(list: &str) -> anyhow::Result<Self> {
        let mut networks = Vec::new();
        for entry in list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
        {
            let network = match (entry.parse::<IpNet>(), entry.parse::<IpAddr>()) {
                (Ok(network), _) => network,
                (_, Ok(address)) => IpNet::from(address),
                _ => bail!(
                    "PORTAL_TRUSTED_PROXIES must list addresses or networks such as \
                     10.0.0.5 or 10.0.0.0/8, comma-separated, not `{entry}`"
                ),
            };
            networks.push(network);
        }
        Ok(Self(networks))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(&address))
    }

    /// The client address of a request from `peer` carrying the `X-Forwarded-For` header
    /// values `forwarded_for` (in the order received).
    pub fn client_address<'a>(
        &self,
        peer: Option<IpAddr>,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> Option<IpAddr> {
        let mut client = peer?.to_canonical();
        if !self.trusts(client) {
            return Some(client);
        }
        let hops: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        // From the right: each hop a trusted proxy added names who connected to it.
        for hop in hops.into_iter().rev() {
            let Some(address) = parse_hop(hop) else {
                // Not an address: written by someone untrusted; the last trusted hop is the
                // best answer there is.
                break;
            };
            client = address;
            if !self.trusts(address) {
                break;
            }
        }
        Some(client)
    }
}

/// One entry of `X-Forwarded-For`: an address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()
        .map(|address| address.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() -> anyhow::Result<()> {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_address(ip("10.0.0.5"), ["203.0.113.7"]),
            ip("10.0.0.5")
        );
        let proxies = TrustedProxies::parse("10.0.0.0/8")?;
        // A peer outside the trusted networks is the client, whatever it says.
        assert_eq!(
            proxies.client_address(ip("198.51.100.1"), ["203.0.113.7"]),
            ip("198.51.100.1")
        );
        Ok(())
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() -> anyhow::Result<()> {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.0.2.10")?;
        // The client wrote a spoofed first entry; the proxies appended the real ones.
        assert_eq!(
            proxies.client_address(
                ip("10.0.0.5"),
                ["1.1.1.1, 203.0.113.7", "192.0.2.10, 10.0.0.9"]
            ),
            ip("203.0.113.7")
        );
        assert_eq!(
            proxies.client_address(ip("10.0.0.5"), ["[2001:db8::1]:443"]),
            ip("2001:db8::1")
        );
        assert_eq!(
            proxies.client_address(ip("10.0.0.5"), ["203.0.113.9:5678"]),
            ip("203.0.113.9")
        );
        // Garbage stops the walk at the last trusted hop.
        assert_eq!(
            proxies.client_address(ip("10.0.0.5"), ["203.0.113.7, nonsense, 10.0.0.8"]),
            ip("10.0.0.8")
        );
        // No header: the proxy itself.
        assert_eq!(proxies.client_address(ip("10.0.0.5"), []), ip("10.0.0.5"));
        // IPv4 mapped into IPv6 is the IPv4 address.
        assert_eq!(
            proxies.client_address(ip("::ffff:10.0.0.5"), ["203.0.113.7"]),
            ip("203.0.113.7")
        );
        Ok(())
    }

    #[test]
    fn refuses_what_is_not_an_address_or_network() {
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.internal").is_err());
        assert!(TrustedProxies::parse("").is_ok_and(|proxies| proxies.is_empty()));
    }
}
