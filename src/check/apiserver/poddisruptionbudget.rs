//! PodDisruptionBudget: `ValidatePodDisruptionBudgetSpec` in
//! `pkg/apis/policy/validation/validation.go`.

use super::Finding;
use crate::diagnostics::codes;
use serde_json::Value;

/// Why a `minAvailable`/`maxUnavailable` value is invalid, if it is:
/// `ValidatePositiveIntOrPercent` (a non-negative integer, or a string `N%`) and
/// `IsNotMoreThan100Percent` (in `pkg/apis/apps/validation/validation.go`).
pub fn bound_problem(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => match n.as_i64() {
            Some(i) if i >= 0 => None,
            Some(_) => Some("must be greater than or equal to 0".into()),
            None => Some("must be an integer or percentage (e.g '5%')".into()),
        },
        Value::String(s) => match s
            .strip_suffix('%')
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        {
            Some(digits) if digits.parse::<u64>().is_ok_and(|p| p <= 100) => None,
            Some(_) => Some("must not be greater than 100%".into()),
            // `IsValidPercent`'s message, as a real server gives it for a string.
            None => Some(format!(
                "\"{s}\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%', or '93%')"
            )),
        },
        _ => Some("must be an integer or percentage (e.g '5%')".into()),
    }
}

/// The rules: not both bounds (E0428), each an integer or percentage (E0429).
pub fn check(body: &Value, found: &mut Vec<Finding>) {
    let Some(spec) = body.get("spec") else { return };
    let min = spec.get("minAvailable").filter(|v| !v.is_null());
    let max = spec.get("maxUnavailable").filter(|v| !v.is_null());
    if min.is_some() && max.is_some() {
        found.push(
            Finding::new(
                codes::DISRUPTION_BUDGET_CONFLICT,
                "spec",
                "minAvailable and maxUnavailable cannot be both set",
            )
            .near("maxUnavailable"),
        );
    }
    for (field, value) in [("minAvailable", min), ("maxUnavailable", max)] {
        if let Some(why) = value.and_then(bound_problem) {
            found.push(
                Finding::new(
                    codes::INVALID_DISRUPTION_BUDGET,
                    format!("spec.{field}"),
                    why,
                )
                .near(field),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bound_problem;
    use serde_json::json;

    #[test]
    fn int_or_percent() {
        for ok in [json!(0), json!(2), json!("50%"), json!("100%"), json!("0%")] {
            assert_eq!(bound_problem(&ok), None, "{ok}");
        }
        for bad in [
            json!(-1),
            json!("101%"),
            json!("half"),
            json!("5"),
            json!(1.5),
            json!("%"),
        ] {
            assert!(bound_problem(&bad).is_some(), "{bad}");
        }
    }
}
