//! ConfigMap: `ValidateConfigMap` in `pkg/apis/core/validation/validation.go`.

use super::Finding;
use crate::diagnostics::codes;

/// `MaxSecretSize`, which `ValidateConfigMap` applies to a ConfigMap's data too.
pub const MAX_SIZE: usize = 1024 * 1024;

/// Why `key` is not a ConfigMap key, if it is not (`IsConfigMapKey` in apimachinery
/// `pkg/util/validation/validation.go`): at most 253 characters of `[-._a-zA-Z0-9]`, not
/// `.` or `..`, not starting with `..`.
pub fn key_problem(key: &str) -> Option<String> {
    if key.is_empty() || key.len() > 253 {
        return Some("must be 1 to 253 characters".into());
    }
    if let Some(c) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (not {c:?})"
        ));
    }
    match key {
        "." => Some("must not be '.'".into()),
        ".." => Some("must not be '..'".into()),
        k if k.starts_with("..") => Some("must not start with '..'".into()),
        _ => None,
    }
}

/// The rules (E0427): keys of `data` and `binaryData`, no key in both, at most 1 MiB.
pub fn check(body: &serde_json::Value, found: &mut Vec<Finding>) {
    let map = |field: &str| body.get(field).and_then(|d| d.as_object());
    let mut total = 0;
    for field in ["data", "binaryData"] {
        for (key, value) in map(field).into_iter().flatten() {
            if let Some(why) = key_problem(key) {
                found.push(
                    Finding::new(
                        codes::INVALID_CONFIG_MAP_KEY,
                        format!("{field}[{key}]"),
                        format!("Invalid value: \"{key}\": {why}"),
                    )
                    .near(key.as_str()),
                );
            }
            if field == "binaryData" && map("data").is_some_and(|d| d.contains_key(key)) {
                found.push(
                    Finding::new(
                        codes::INVALID_CONFIG_MAP_KEY,
                        format!("{field}[{key}]"),
                        format!("Invalid value: \"{key}\": duplicate of key present in data"),
                    )
                    .near(key.as_str()),
                );
            }
            total += key.len() + value.as_str().map_or(0, str::len);
        }
    }
    if total > MAX_SIZE {
        found.push(
            Finding::new(
                codes::INVALID_CONFIG_MAP_KEY,
                "data",
                format!("Too long: may not be more than {MAX_SIZE} bytes"),
            )
            .near("data"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::key_problem;

    #[test]
    fn config_map_keys() {
        for ok in ["a", "app.properties", "A_B-c.d", ".hidden"] {
            assert_eq!(key_problem(ok), None, "{ok}");
        }
        for bad in ["a/b", "has space", ".", "..", "..x", "", &"k".repeat(254)] {
            assert!(key_problem(bad).is_some(), "{bad}");
        }
    }
}
