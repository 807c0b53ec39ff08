//! Debian versions, `[epoch:]upstream[-revision]`, ordered by dpkg's rules.
//!
//! The `debversion` crate owns the order (`~` before everything, even the end; letters before
//! other characters; digit runs by value). Its parser is looser than dpkg, so this module
//! checks the syntax first and rejects what `dpkg --compare-versions` rejects: an epoch that is
//! not a number, an empty upstream or revision, an upstream not starting with a digit, and
//! characters outside the allowed sets.
use super::{check_text, split_digits};

pub(super) fn parse(text: &str) -> Result<debversion::Version, String> {
    let (epoch, rest) = match text.split_once(':') {
        Some((epoch, rest)) => (Some(parse_epoch(epoch)?), rest),
        None => (None, text),
    };
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((upstream, revision)) => (upstream, Some(check_revision(revision)?)),
        None => (rest, None),
    };
    check_upstream(upstream)?;
    Ok(debversion::Version { epoch, upstream_version: upstream.to_string(), debian_revision: revision.map(str::to_string) })
}

fn parse_epoch(epoch: &str) -> Result<u32, String> {
    match split_digits(epoch) {
        (digits, "") if !digits.is_empty() => digits.parse().map_err(|_| format!("epoch `{epoch}` is too large")),
        _ => Err(format!("epoch `{epoch}` is not a number")),
    }
}

fn check_upstream(upstream: &str) -> Result<(), String> {
    check_text("upstream version", upstream, ".+~-:")?;
    if !upstream.starts_with(|c: char| c.is_ascii_digit()) {
        return Err("the upstream version must start with a digit".into());
    }
    Ok(())
}

fn check_revision(revision: &str) -> Result<&str, String> {
    check_text("revision", revision, ".+~")?;
    Ok(revision)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_first_colon_and_the_last_hyphen() {
        let version = parse("2:1.0-rc1-3+deb12u1").unwrap();
        assert_eq!(version.epoch, Some(2));
        assert_eq!(version.upstream_version, "1.0-rc1");
        assert_eq!(version.debian_revision.as_deref(), Some("3+deb12u1"));
        assert_eq!(parse("1:2:3").unwrap().upstream_version, "2:3");
    }

    #[test]
    fn rejects_what_dpkg_rejects() {
        for bad in ["", "1.0:", "a:1.0", ":1.0", "1:", "1.0-", "v1.0", "1.0_1", "1.0-1:2", "99999999999:1"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
