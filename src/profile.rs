//! A named AWS profile must exist (issue 26, item 3): `--profile NAME` or
//! `AWS_PROFILE=NAME` naming no profile in the shared files is bad input
//! (exit 2, naming the profile and the files looked in), as the AWS CLI
//! says "The config profile (NAME) could not be found". The SDK would
//! otherwise fall back to other credentials (the environment's), possibly
//! another account's.
//!
//! The files are the SDK's: `AWS_CONFIG_FILE` (default `~/.aws/config`,
//! sections `[profile NAME]`, and `[default]`) and
//! `AWS_SHARED_CREDENTIALS_FILE` (default `~/.aws/credentials`, sections
//! `[NAME]`), as the AWS SDKs and Tools reference guide describes
//! ("Location of the shared config and credentials files").

use std::path::PathBuf;

/// The shared config and credentials files, in the order the SDK reads them.
pub fn shared_files() -> [PathBuf; 2] {
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
        .unwrap_or_default();
    let file = |var: &str, name: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".aws").join(name))
    };
    [
        file("AWS_CONFIG_FILE", "config"),
        file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    ]
}

/// Profiles defined in the config file's text (`[profile NAME]`, `[default]`)
/// or the credentials file's (`[NAME]`).
pub fn names(text: &str, config_file: bool) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let inner = l.strip_prefix('[')?.split(']').next()?.trim();
            if !config_file {
                return Some(inner.to_string());
            }
            match inner.strip_prefix("profile") {
                Some(rest) if rest.starts_with(char::is_whitespace) => {
                    Some(rest.trim().to_string())
                }
                _ if inner == "default" => Some(inner.to_string()),
                _ => None,
            }
        })
        .filter(|n| !n.is_empty())
        .collect()
}

/// The problem with `profile`, if it is in neither shared file.
pub fn problem(profile: &str) -> Option<String> {
    let files = shared_files();
    let mut known = Vec::new();
    for (i, path) in files.iter().enumerate() {
        if let Ok(text) = std::fs::read_to_string(path) {
            known.extend(names(&text, i == 0));
        }
    }
    if known.iter().any(|k| k == profile) {
        return None;
    }
    known.sort();
    known.dedup();
    let known = if known.is_empty() {
        "none".to_string()
    } else {
        known.join(", ")
    };
    Some(format!(
        "profile '{}' (--profile or AWS_PROFILE) is not in {} or {} (profiles there: {known}); name one of them, or unset AWS_PROFILE",
        crate::error::cut(profile),
        files[0].display(),
        files[1].display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_of_each_file() {
        let config = "[default]\nregion=us-east-1\n[profile dev]\n[ profile  ops ] # c\n[sso-session x]\n[profilex]\n";
        assert_eq!(names(config, true), ["default", "dev", "ops"]);
        assert_eq!(names("[prod]\naws_access_key_id=x\n", false), ["prod"]);
    }
}
