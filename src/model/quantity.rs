//! Kubernetes quantities, parsed and scaled exactly (no floating point).
//!
//! A quantity is held as a whole number of nano-units, which covers every suffix from `n` to
//! `Ei` without rounding. Formatting depends on what the resource measures: CPU in cores or
//! millicores, bytes with the largest exact suffix, everything else as a whole count.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A quantity as the user wrote it: a string such as `500m` or `4Gi`, or a bare number.
///
/// Kept as text until `validate` parses it, so a bad value is reported at its own line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[schemars(
    with = "QuantitySchema",
    description = "A Kubernetes quantity such as `500m`, `2`, `4Gi` or `100M`."
)]
pub struct QuantityText(pub String);

#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum QuantitySchema {
    Text(String),
    Number(f64),
}

impl<'de> Deserialize<'de> for QuantityText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = QuantityText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a quantity such as 500m, 2 or 4Gi")
            }
            fn visit_str<E>(self, v: &str) -> Result<QuantityText, E> {
                Ok(QuantityText(v.to_owned()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<QuantityText, E> {
                Ok(QuantityText(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<QuantityText, E> {
                Ok(QuantityText(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<QuantityText, E> {
                Ok(QuantityText(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

const NANO: u128 = 1_000_000_000;

/// An exact, non-negative quantity in nano-units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity {
    nanos: u128,
}

/// Why a string is not a quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantityError {
    /// Not of the form number + suffix.
    Malformed,
    /// Larger than tenantc can represent exactly.
    TooLarge,
}

/// What a resource measures, which decides how its quantities are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceUnit {
    /// Cores: millicore precision, `6` or `6500m`.
    Cpu,
    /// Bytes: whole bytes, the largest exact suffix (`12Gi`).
    Bytes,
    /// Whole things: pods, services, GPUs, claims.
    Count,
}

impl ResourceUnit {
    /// The unit of a quota or limit key such as `requests.cpu`, `limits.memory`,
    /// `requests.nvidia.com/gpu` or `gold.storageclass.storage.k8s.io/requests.storage`.
    pub fn of(key: &str) -> Self {
        let resource = key.rsplit(['.', '/']).next().unwrap_or(key);
        if resource == "cpu" {
            Self::Cpu
        } else if resource == "memory"
            || resource == "storage"
            || resource == "ephemeral-storage"
            || key.contains("hugepages-")
        {
            Self::Bytes
        } else {
            Self::Count
        }
    }
}

impl Quantity {
    /// Zero.
    pub const ZERO: Self = Self { nanos: 0 };

    /// Parses a Kubernetes quantity: digits with an optional fraction, then an optional
    /// decimal exponent (`e3`), binary suffix (`Ki` … `Ei`) or decimal suffix (`n` … `E`).
    /// Precision finer than a nano-unit rounds up, as Kubernetes does.
    pub fn parse(text: &str) -> Result<Self, QuantityError> {
        let s = text.strip_prefix('+').unwrap_or(text);
        let number_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (number, suffix) = s.split_at(number_end);
        let (whole, fraction) = match number.split_once('.') {
            Some((w, f)) => (w, f),
            None => (number, ""),
        };
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return Err(QuantityError::Malformed);
        }
        if whole.len() + fraction.len() > 30 {
            return Err(QuantityError::TooLarge);
        }
        // mantissa = whole.fraction as an integer, scaled by 10^-fraction.len()
        let digits: u128 = format!("{whole}{fraction}")
            .parse()
            .map_err(|_| QuantityError::Malformed)?;
        let (base2, exp10): (u32, i32) = match suffix {
            "" => (0, 0),
            "Ki" => (10, 0),
            "Mi" => (20, 0),
            "Gi" => (30, 0),
            "Ti" => (40, 0),
            "Pi" => (50, 0),
            "Ei" => (60, 0),
            "n" => (0, -9),
            "u" => (0, -6),
            "m" => (0, -3),
            "k" => (0, 3),
            "M" => (0, 6),
            "G" => (0, 9),
            "T" => (0, 12),
            "P" => (0, 15),
            "E" => (0, 18),
            _ => {
                let exp = suffix
                    .strip_prefix(['e', 'E'])
                    .ok_or(QuantityError::Malformed)?;
                let (sign, digits) = match exp.strip_prefix('-') {
                    Some(rest) => (-1, rest),
                    None => (1, exp.strip_prefix('+').unwrap_or(exp)),
                };
                if digits.is_empty()
                    || digits.len() > 3
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(QuantityError::Malformed);
                }
                let e: i32 = digits.parse().map_err(|_| QuantityError::Malformed)?;
                (0, sign * e)
            }
        };
        // nanos = digits * 2^base2 * 10^(exp10 + 9 - fraction.len())
        let mut value = digits
            .checked_mul(1u128 << base2)
            .ok_or(QuantityError::TooLarge)?;
        let scale = exp10 + 9 - fraction.len() as i32;
        if scale >= 0 {
            let factor = 10u128
                .checked_pow(scale as u32)
                .ok_or(QuantityError::TooLarge)?;
            value = value.checked_mul(factor).ok_or(QuantityError::TooLarge)?;
        } else {
            let divisor = 10u128.checked_pow((-scale) as u32);
            value = match divisor {
                Some(d) => value.div_ceil(d),
                None => u128::from(value > 0),
            };
        }
        if value > u128::from(u64::MAX) * NANO {
            return Err(QuantityError::TooLarge);
        }
        Ok(Self { nanos: value })
    }

    /// Whether the quantity is zero.
    pub fn is_zero(self) -> bool {
        self.nanos == 0
    }

    /// Whether the quantity is a whole number of units (`2`, `1k`; not `1.5` or `500m`).
    pub fn is_whole(self) -> bool {
        self.nanos.is_multiple_of(NANO)
    }

    /// Multiplies by `numerator / denominator` and rounds down to the unit's precision
    /// (millicores, whole bytes, whole counts), so that shares never add up to more than
    /// the total.
    pub fn scale(self, numerator: u64, denominator: u64, unit: ResourceUnit) -> Self {
        let precision = unit.precision();
        let scaled = self.nanos / u128::from(denominator.max(1)) * u128::from(numerator)
            + self.nanos % u128::from(denominator.max(1)) * u128::from(numerator)
                / u128::from(denominator.max(1));
        Self {
            nanos: scaled / precision * precision,
        }
    }

    /// Writes the quantity in canonical form for a resource of this unit.
    pub fn format(self, unit: ResourceUnit) -> String {
        match unit {
            ResourceUnit::Cpu => {
                if self.nanos.is_multiple_of(NANO) {
                    (self.nanos / NANO).to_string()
                } else if self.nanos.is_multiple_of(1_000_000) {
                    format!("{}m", self.nanos / 1_000_000)
                } else {
                    self.format_exact()
                }
            }
            ResourceUnit::Bytes | ResourceUnit::Count => {
                if !self.nanos.is_multiple_of(NANO) {
                    return self.format_exact();
                }
                let whole = self.nanos / NANO;
                if unit == ResourceUnit::Count || whole == 0 {
                    return whole.to_string();
                }
                for (suffix, shift) in [
                    ("Ei", 60),
                    ("Pi", 50),
                    ("Ti", 40),
                    ("Gi", 30),
                    ("Mi", 20),
                    ("Ki", 10),
                ] {
                    if whole.is_multiple_of(1u128 << shift) {
                        return format!("{}{suffix}", whole >> shift);
                    }
                }
                for (suffix, exp) in [
                    ("E", 18),
                    ("P", 15),
                    ("T", 12),
                    ("G", 9),
                    ("M", 6),
                    ("k", 3),
                ] {
                    let f = 10u128.pow(exp);
                    if whole.is_multiple_of(f) {
                        return format!("{}{suffix}", whole / f);
                    }
                }
                whole.to_string()
            }
        }
    }

    /// A decimal form with the largest SI suffix that keeps the value exact.
    fn format_exact(self) -> String {
        for (suffix, exp) in [("", 9), ("m", 6), ("u", 3)] {
            let f = 10u128.pow(exp);
            if self.nanos.is_multiple_of(f) {
                return format!("{}{suffix}", self.nanos / f);
            }
        }
        format!("{}n", self.nanos)
    }
}

impl ResourceUnit {
    fn precision(self) -> u128 {
        match self {
            Self::Cpu => 1_000_000,
            Self::Bytes | Self::Count => NANO,
        }
    }
}

/// An exact share such as `0.3`, as numerator over a power of ten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// The numerator.
    pub numerator: u64,
    /// The denominator, a power of ten.
    pub denominator: u64,
}

impl Share {
    /// The whole (1).
    pub const WHOLE: Self = Self {
        numerator: 1,
        denominator: 1,
    };

    /// Reads a share from the decimal the user wrote (through its shortest round-trip form),
    /// so that `0.3` is exactly 3/10. At most 9 decimal places.
    pub fn from_f64(value: f64) -> Option<Self> {
        if !(0.0..=1.0).contains(&value) {
            return None;
        }
        let text = format!("{value}");
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        if fraction.len() > 9 || text.contains('e') {
            return None;
        }
        let denominator = 10u64.pow(fraction.len() as u32);
        let numerator = format!("{whole}{fraction}").parse().ok()?;
        Some(Self {
            numerator,
            denominator,
        })
    }

    /// The sum of shares, exactly (as numerator over 10^9).
    pub fn sum(shares: impl IntoIterator<Item = Self>) -> u128 {
        shares
            .into_iter()
            .map(|s| u128::from(s.numerator) * 1_000_000_000 / u128::from(s.denominator))
            .sum()
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.numerator as f64 / self.denominator as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn parses_and_formats_canonically() {
        assert_eq!(q("500m").format(ResourceUnit::Cpu), "500m");
        assert_eq!(q("0.5").format(ResourceUnit::Cpu), "500m");
        assert_eq!(q("2").format(ResourceUnit::Cpu), "2");
        assert_eq!(q("2000m").format(ResourceUnit::Cpu), "2");
        assert_eq!(q("4Gi").format(ResourceUnit::Bytes), "4Gi");
        assert_eq!(q("1024Mi").format(ResourceUnit::Bytes), "1Gi");
        assert_eq!(q("1.5Gi").format(ResourceUnit::Bytes), "1536Mi");
        assert_eq!(q("100M").format(ResourceUnit::Bytes), "100M");
        assert_eq!(q("1e3").format(ResourceUnit::Count), "1000");
        assert_eq!(q("0").format(ResourceUnit::Bytes), "0");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "", "10x", "1.2.3", "Gi", "-1", "1e", "1e1000", ".", "1 Gi", "1GI",
        ] {
            assert!(Quantity::parse(bad).is_err(), "{bad} should be rejected");
        }
        assert_eq!(
            Quantity::parse("9".repeat(40).as_str()),
            Err(QuantityError::TooLarge)
        );
    }

    #[test]
    fn scales_down_to_unit_precision() {
        let share = Share::from_f64(0.3).unwrap();
        let scale = |s: &str, u| q(s).scale(share.numerator, share.denominator, u).format(u);
        assert_eq!(scale("20", ResourceUnit::Cpu), "6");
        assert_eq!(scale("21", ResourceUnit::Cpu), "6300m");
        assert_eq!(scale("40Gi", ResourceUnit::Bytes), "12Gi");
        assert_eq!(scale("100", ResourceUnit::Count), "30");
        assert_eq!(scale("3", ResourceUnit::Count), "0");
        assert_eq!(scale("1m", ResourceUnit::Cpu), "0");
    }

    #[test]
    fn classifies_resources() {
        assert_eq!(ResourceUnit::of("requests.cpu"), ResourceUnit::Cpu);
        assert_eq!(ResourceUnit::of("limits.memory"), ResourceUnit::Bytes);
        assert_eq!(ResourceUnit::of("requests.storage"), ResourceUnit::Bytes);
        assert_eq!(
            ResourceUnit::of("requests.nvidia.com/gpu"),
            ResourceUnit::Count
        );
        assert_eq!(ResourceUnit::of("pods"), ResourceUnit::Count);
        assert_eq!(ResourceUnit::of("memory"), ResourceUnit::Bytes);
        assert_eq!(
            ResourceUnit::of("requests.hugepages-2Mi"),
            ResourceUnit::Bytes
        );
    }

    #[test]
    fn shares_are_exact() {
        let shares = [0.3, 0.2, 0.5].map(|s| Share::from_f64(s).unwrap());
        assert_eq!(Share::sum(shares), 1_000_000_000);
        let over = [0.3, 0.3, 0.5].map(|s| Share::from_f64(s).unwrap());
        assert!(Share::sum(over) > 1_000_000_000);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn unit() -> impl Strategy<Value = ResourceUnit> {
            prop_oneof![
                Just(ResourceUnit::Cpu),
                Just(ResourceUnit::Bytes),
                Just(ResourceUnit::Count)
            ]
        }

        proptest! {
            /// Formatting is canonical: parsing the formatted text gives the same quantity.
            #[test]
            fn format_then_parse_round_trips(units in 0u64..u64::MAX / 4, unit in unit()) {
                let q = Quantity { nanos: u128::from(units) * unit.precision() };
                let text = q.format(unit);
                prop_assert_eq!(Quantity::parse(&text), Ok(q), "{}", text);
            }

            /// Environments never get more than the total, whatever the shares.
            #[test]
            fn shares_never_exceed_the_total(
                units in 0u64..1_000_000_000_000,
                shares in proptest::collection::vec(0u64..=1000, 1..6),
                unit in unit(),
            ) {
                let total = Quantity { nanos: u128::from(units) * 1_000_000 };
                let sum: u64 = shares.iter().sum();
                let denominator = sum.max(1000);
                let scaled: u128 = shares.iter().map(|s| total.scale(*s, denominator, unit).nanos).sum();
                prop_assert!(scaled <= total.nanos);
            }

            /// Parsing never panics, whatever the text.
            #[test]
            fn parse_never_panics(text in "\\PC{0,40}") {
                let _ = Quantity::parse(&text);
            }

            /// Any quantity as users write it (digits, a fraction, a suffix or an exponent)
            /// that parses is written in a canonical form that parses back to the same value.
            #[test]
            fn written_quantities_round_trip(
                text in "\\+?[0-9]{1,12}(\\.[0-9]{1,12})?(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e[0-9]|E[0-9])?",
                unit in unit(),
            ) {
                if let Ok(q) = Quantity::parse(&text) {
                    let formatted = q.format(unit);
                    prop_assert_eq!(Quantity::parse(&formatted), Ok(q), "{} -> {}", text, formatted);
                    prop_assert_eq!(Quantity::parse(&formatted).map(|p| p.format(unit)), Ok(formatted.clone()));
                }
            }

            /// Scaling keeps order, never exceeds the original, and a whole share keeps the
            /// value at the unit's precision.
            #[test]
            fn scaling_is_monotonic_and_bounded(
                a in 0u64..u64::MAX / 4,
                b in 0u64..u64::MAX / 4,
                numerator in 0u64..=1_000_000_000,
                unit in unit(),
            ) {
                let (lo, hi) = (a.min(b), a.max(b));
                let lo = Quantity { nanos: u128::from(lo) };
                let hi = Quantity { nanos: u128::from(hi) };
                let denominator = 1_000_000_000;
                prop_assert!(lo.scale(numerator, denominator, unit) <= hi.scale(numerator, denominator, unit));
                prop_assert!(hi.scale(numerator, denominator, unit) <= hi);
                let whole = hi.scale(1, 1, unit);
                prop_assert!(whole <= hi && hi.nanos - whole.nanos < unit.precision());
            }
        }
    }
}
