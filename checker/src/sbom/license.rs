//! Which of a package's stated licenses are SPDX: an SPDX expression is kept, written the
//! canonical way when it uses a deprecated spelling of the same license (`GPL-2.0+` is
//! `GPL-2.0-or-later`); anything else stays a name (CycloneDX) or becomes a `LicenseRef-` (SPDX)
//! that quotes the package's own wording — Debian's `GPL-2+`, say.
//!
//! What must hold: a license is never guessed: names that are not SPDX identifiers are not
//! mapped to one (the `spdx` crate's imprecise names map `bsd` to BSD-2-Clause, and worse).

/// SPDX identifiers only (deprecated ones and `GPL-2.0+` included), never an imprecise name.
const EXACT_IDS: spdx::ParseMode = spdx::ParseMode {
    allow_slash_as_or_operator: false,
    allow_imprecise_license_names: false,
    allow_postfix_plus_on_gpl: true,
    allow_deprecated: true,
    allow_unknown: false,
};

/// One license as a package states it, read for SPDX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum License {
    /// A single SPDX license id (`MIT`).
    Id(String),
    /// An SPDX expression of several (`MIT OR Apache-2.0`).
    Expression(String),
    /// Not SPDX: the package's own words (`Artistic`, `public-domain`).
    Named(String),
}

impl License {
    pub(super) fn read(stated: &str) -> License {
        let stated = stated.trim();
        if spdx::Expression::parse_mode(stated, EXACT_IDS).is_err() || stated.contains("LicenseRef-") {
            return License::Named(stated.to_string());
        }
        let spelled = spdx::Expression::canonicalize(stated).ok().flatten().unwrap_or_else(|| stated.to_string());
        match spdx::license_id(&spelled) {
            Some(_) => License::Id(spelled),
            None => License::Expression(spelled),
        }
    }
}

/// `LicenseRef-` and the name with every character SPDX does not allow in an id made a `-`.
pub(super) fn license_ref(name: &str) -> String {
    let id: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' }).collect();
    format!("LicenseRef-{}", id.trim_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spdx_is_kept_imprecise_spdx_is_spelled_right_and_the_rest_stays_a_name() {
        assert_eq!(License::read("MIT"), License::Id("MIT".into()));
        assert_eq!(License::read("(MIT OR Apache-2.0)"), License::Expression("(MIT OR Apache-2.0)".into()));
        assert_eq!(License::read("GPL-2.0+"), License::Id("GPL-2.0-or-later".into()));
        assert_eq!(License::read("GPL-2+"), License::Named("GPL-2+".into()));
        assert_eq!(License::read("BSD"), License::Named("BSD".into()));
        assert_eq!(License::read("public-domain"), License::Named("public-domain".into()));
        assert_eq!(license_ref("GPL-2+ with exceptions"), "LicenseRef-GPL-2--with-exceptions");
    }
}
