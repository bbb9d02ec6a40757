//! Ports of traffic rules, written as `443`, `443/TCP`, `53/UDP`, `8000-8100/TCP` or
//! `http/TCP` (a named container port).

/// A parsed port rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRule {
    /// The port number or name.
    pub port: PortValue,
    /// The last port of a range.
    pub end_port: Option<u16>,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: &'static str,
}

/// A port number or a named port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortValue {
    /// A number, 1 to 65535.
    Number(u16),
    /// An IANA service name of a container port.
    Name(String),
}

impl PortRule {
    /// Parses a port rule, or says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let (port, protocol) = match text.split_once('/') {
            Some((p, proto)) => (p, proto),
            None => (text, "TCP"),
        };
        let protocol = match protocol {
            "TCP" => "TCP",
            "UDP" => "UDP",
            "SCTP" => "SCTP",
            _ => return Err("the protocol must be `TCP`, `UDP` or `SCTP`"),
        };
        let number = |s: &str| s.parse::<u16>().ok().filter(|n| *n > 0);
        if let Some((start, end)) = port.split_once('-').filter(|(s, _)| number(s).is_some()) {
            let (Some(start), Some(end)) = (number(start), number(end)) else {
                return Err("a range is `START-END` with ports from 1 to 65535");
            };
            if end < start {
                return Err("a range must not end before it starts");
            }
            return Ok(Self {
                port: PortValue::Number(start),
                end_port: Some(end),
                protocol,
            });
        }
        if let Some(n) = number(port) {
            return Ok(Self {
                port: PortValue::Number(n),
                end_port: None,
                protocol,
            });
        }
        let is_name = !port.is_empty()
            && port.len() <= 15
            && port
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && port.bytes().any(|b| b.is_ascii_lowercase())
            && !port.starts_with('-')
            && !port.ends_with('-')
            && !port.contains("--");
        if is_name {
            Ok(Self {
                port: PortValue::Name(port.into()),
                end_port: None,
                protocol,
            })
        } else {
            Err("expected a port from 1 to 65535, a range `START-END` or a port name")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ports() {
        assert_eq!(PortRule::parse("443").unwrap().port, PortValue::Number(443));
        let udp = PortRule::parse("53/UDP").unwrap();
        assert_eq!((udp.port, udp.protocol), (PortValue::Number(53), "UDP"));
        let range = PortRule::parse("8000-8100/TCP").unwrap();
        assert_eq!(range.end_port, Some(8100));
        assert_eq!(
            PortRule::parse("http/TCP").unwrap().port,
            PortValue::Name("http".into())
        );
        for bad in ["0", "70000", "443/tcp", "", "9-1", "-", "a b"] {
            assert!(PortRule::parse(bad).is_err(), "{bad}");
        }
    }
}
