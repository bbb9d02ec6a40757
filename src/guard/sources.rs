//! E0708 and E0711: tenant applications only from repositories the platform allow-lists.
//!
//! platform.yaml `spec.argocd.tenantSourceRepos` holds Argo CD style glob patterns (`*`
//! matches any run of characters, `/` included; `?` one character). Each must spell out its
//! host, so `*` or `https://*` is refused (E0711): a pattern that admits any host lets a
//! tenant pull manifests from anywhere. A tenant app's `repoURL` must be a plain URL (no glob
//! characters: it becomes an entry of the tenant's AppProject `sourceRepos`, where Argo CD
//! would read it as a pattern) that matches one of the patterns (E0708).

use crate::diagnostics::{Diagnostic, Diagnostics, Label, codes};
use crate::model::Platform;
use crate::resolve::ResolvedTenant;

const POINTER: &str = "/spec/argocd/tenantSourceRepos";

/// Characters Argo CD's glob matching gives a meaning to.
const GLOB_CHARACTERS: &[char] = &['*', '?', '[', ']', '{', '}', '\\'];

/// The platform's allow-list of tenant source repositories, checked.
pub struct SourcePatterns {
    patterns: Vec<(usize, String)>,
    file: String,
}

impl SourcePatterns {
    /// Reads the allow-list, reporting E0711 for patterns that would admit any host (they are
    /// left out, so the tenants that need them fail too).
    pub fn new(platform: &Platform, file: &str, diags: &mut Diagnostics) -> Self {
        let mut patterns = Vec::new();
        for (i, pattern) in platform.spec.argocd.tenant_source_repos.iter().enumerate() {
            if host_is_literal(pattern) {
                patterns.push((i, pattern.clone()));
            } else {
                diags.push(
                    Diagnostic::new(
                        codes::INVALID_SOURCE_PATTERN,
                        format!("source pattern `{pattern}` admits any host"),
                    )
                    .at(Label::value(file, format!("{POINTER}/{i}"), "the host must be written out"))
                    .help("write the host, such as `https://git.example.com/*` or `git@git.example.com:team/*`"),
                );
            }
        }
        Self {
            patterns,
            file: file.to_string(),
        }
    }

    /// Reports E0708 for each app of `tenant` whose repository is not allowed.
    pub fn check(&self, tenant: &ResolvedTenant, diags: &mut Diagnostics) {
        for (i, app) in tenant.tenant.spec.gitops.apps.iter().enumerate() {
            let url = &app.repo_url;
            let at = format!("/spec/gitops/apps/{i}/repoURL");
            if let Some(why) = not_plain(url) {
                diags.push(
                    Diagnostic::new(
                        codes::SOURCE_REPO_NOT_ALLOWED,
                        format!("app `{}` names a repository pattern or an indirect path, not a repository", app.name),
                    )
                    .at(Label::value(&tenant.file, at, why))
                    .help("write the repository's URL; the platform's `spec.argocd.tenantSourceRepos` decides which are allowed"),
                );
                continue;
            }
            if self.patterns.iter().any(|(_, p)| glob_match(p, url)) {
                continue;
            }
            let note = if self.patterns.is_empty() {
                "platform.yaml allows no tenant repositories (`spec.argocd.tenantSourceRepos`)"
                    .to_string()
            } else {
                let list: Vec<&str> = self.patterns.iter().map(|(_, p)| p.as_str()).collect();
                format!("allowed: {}", list.join(", "))
            };
            diags.push(
                Diagnostic::new(
                    codes::SOURCE_REPO_NOT_ALLOWED,
                    format!("app `{}` comes from a repository the platform does not allow", app.name),
                )
                .at(Label::value(&tenant.file, at, "not on the allow-list"))
                .note(note, Some(Label::value(&self.file, POINTER, "")))
                .help("use an allowed repository, or ask the platform team to add a pattern to `spec.argocd.tenantSourceRepos`"),
            );
        }
    }
}

/// Why a tenant's `repoURL` is not a plain URL, if it is not: glob characters (it would be a
/// pattern in the AppProject), or a path a git client resolves elsewhere than it reads
/// (`/../`, `/./`, percent-escapes, backslashes, blanks), which would let
/// `https://git.example.com/acme/../globex/x.git` match a pattern meant for `acme/*`.
fn not_plain(url: &str) -> Option<&'static str> {
    if url.contains(GLOB_CHARACTERS) {
        return Some("glob characters in a repository URL");
    }
    let indirect = url.contains('%')
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
        || url
            .split(['/', ':'])
            .skip(1)
            .any(|segment| segment == "." || segment == "..");
    indirect.then_some("`.`/`..` segments, escapes or blanks would resolve elsewhere")
}

/// Whether everything up to the end of the host is free of glob characters.
fn host_is_literal(pattern: &str) -> bool {
    let literal = &pattern[..pattern.find(GLOB_CHARACTERS).unwrap_or(pattern.len())];
    if literal.len() == pattern.len() {
        return !pattern.is_empty();
    }
    if let Some((_, rest)) = literal.split_once("://") {
        // `https://host/…`: the host ends at the first `/` (or `:` for a port).
        return rest.find('/').is_some_and(|end| end > 0);
    }
    // `git@host:path`: scp-like syntax, the host ends at the `:`.
    literal
        .split_once('@')
        .and_then(|(_, rest)| rest.split_once(':'))
        .is_some_and(|(host, _)| !host.is_empty())
}

/// Glob matching as Argo CD does for `sourceRepos`: `*` any run of characters, `?` one.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_like_argo_cd() {
        assert!(glob_match(
            "https://git.example.com/*",
            "https://git.example.com/a/b.git"
        ));
        assert!(glob_match(
            "https://git.example.com/acme/*.git",
            "https://git.example.com/acme/apps.git"
        ));
        assert!(!glob_match(
            "https://git.example.com/acme/*",
            "https://git.example.com/globex/x"
        ));
        assert!(!glob_match(
            "https://git.example.com/*",
            "https://git.example.com.evil.io/x"
        ));
        assert!(glob_match(
            "https://git.example.com/a?c",
            "https://git.example.com/abc"
        ));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("exact", "exactly"));
    }

    #[test]
    fn indirect_urls_are_not_plain() {
        assert_eq!(not_plain("https://git.example.com/acme/apps.git"), None);
        assert_eq!(not_plain("git@git.example.com:team/x.git"), None);
        assert_eq!(not_plain("https://git.example.com/a.b/c..d.git"), None);
        for bad in [
            "https://git.example.com/acme/../globex/x.git",
            "https://git.example.com/acme/./x.git",
            "git@git.example.com:../globex/x.git",
            "https://git.example.com/acme/%2e%2e/globex/x.git",
            "https://git.example.com/acme/x .git",
            "https://git.example.com/acme/*",
        ] {
            assert!(not_plain(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn hosts_must_be_written_out() {
        for ok in [
            "https://git.example.com/*",
            "https://git.example.com:8443/team/*",
            "git@git.example.com:team/*",
            "https://git.example.com/exact.git",
        ] {
            assert!(host_is_literal(ok), "{ok}");
        }
        for bad in [
            "*",
            "https://*",
            "https://*.example.com/x",
            "https://git.example.com*",
            "git@*:x",
            "",
        ] {
            assert!(!host_is_literal(bad), "{bad}");
        }
    }
}
