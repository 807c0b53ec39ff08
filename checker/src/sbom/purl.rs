//! Package URLs (purl-spec) for the inventory's packages, in the forms Syft and Trivy write, so
//! that tools can match them: `pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12`,
//! `pkg:npm/%40scope/name@1.0.0`, `pkg:pypi/flask@3.0.0`, `pkg:golang/golang.org/x/net@v0.20.0`.
//!
//! What must hold: encoding is the `packageurl` crate's (percent-encoding, qualifier order);
//! names are normalised as each type's purl rules say (PyPI lower case with `-`).
use packageurl::PackageUrl;

use crate::scan::ecosystem::Ecosystem;
use crate::scan::inventory::{OsRelease, Package};

/// The package URL of `package`, found in an image whose OS is `os`.
pub(crate) fn of(package: &Package, os: Option<&OsRelease>) -> String {
    let built = match &package.ecosystem {
        Ecosystem::Debian(_) => distro_package("deb", package, os, "debian"),
        Ecosystem::Alpine(_) => distro_package("apk", package, os, "alpine"),
        Ecosystem::Npm => npm(package),
        Ecosystem::PyPI => pypi(package),
        Ecosystem::Go => go(package),
    };
    built.map(|purl| purl.to_string()).unwrap_or_else(|_| format!("pkg:generic/{}@{}", package.name, package.version))
}

/// A distribution's package: its namespace is the OS (`debian`, `ubuntu`), with the
/// architecture, the source package when it differs, and the release as `distro`.
fn distro_package<'a>(kind: &'a str, package: &'a Package, os: Option<&'a OsRelease>, default_os: &'a str) -> packageurl::Result<PackageUrl<'a>> {
    let namespace = os.map_or(default_os, |os| os.id.as_str());
    let mut purl = PackageUrl::new(kind, package.name.as_str())?;
    purl.with_namespace(namespace)?.with_version(package.version.as_str())?;
    if let Some(arch) = &package.arch {
        purl.add_qualifier("arch", arch.as_str())?;
    }
    if let Some((source, _)) = package.source.as_ref().filter(|(source, _)| *source != package.name) {
        purl.add_qualifier("upstream", source.as_str())?;
    }
    if let Some(os) = os.filter(|os| !os.version_id.is_empty()) {
        purl.add_qualifier("distro", format!("{}-{}", os.id, os.version_id))?;
    }
    Ok(purl)
}

/// `@scope/name` is namespace `@scope` (encoded `%40scope`) and name `name`.
fn npm(package: &Package) -> packageurl::Result<PackageUrl<'_>> {
    let mut purl = match package.name.split_once('/') {
        Some((scope, name)) => {
            let mut purl = PackageUrl::new("npm", name)?;
            purl.with_namespace(scope)?;
            purl
        }
        None => PackageUrl::new("npm", package.name.as_str())?,
    };
    purl.with_version(package.version.as_str())?;
    Ok(purl)
}

/// PyPI names are compared lower case, with `-` for `_` and `.`.
fn pypi(package: &Package) -> packageurl::Result<PackageUrl<'_>> {
    let mut purl = PackageUrl::new("pypi", package.name.to_lowercase().replace(['_', '.'], "-"))?;
    purl.with_version(package.version.as_str())?;
    Ok(purl)
}

/// A Go module: its path up to the last `/` is the namespace; versions keep their `v` (the
/// inventory drops it, as OSV's Go records do), except the standard library's.
fn go(package: &Package) -> packageurl::Result<PackageUrl<'_>> {
    let (namespace, name) = package.name.rsplit_once('/').map_or((None, package.name.as_str()), |(namespace, name)| (Some(namespace), name));
    let mut purl = PackageUrl::new("golang", name)?;
    if let Some(namespace) = namespace {
        purl.with_namespace(namespace)?;
    }
    let version = if package.name == "stdlib" { package.version.clone() } else { format!("v{}", package.version) };
    purl.with_version(version)?;
    Ok(purl)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(ecosystem: Ecosystem, name: &str, version: &str) -> Package {
        Package { ecosystem, name: name.into(), version: version.into(), source: None, location: String::new(), layer: 0, licenses: Vec::new(), arch: None }
    }

    #[test]
    fn each_ecosystem_gets_the_purl_other_tools_write() {
        let debian = OsRelease { id: "debian".into(), version_id: "12".into(), ..OsRelease::default() };
        let libc = Package {
            arch: Some("amd64".into()),
            source: Some(("glibc".into(), "2.36-9+deb12u4".into())),
            ..package(Ecosystem::Debian("12".into()), "libc6", "2.36-9+deb12u4")
        };
        assert_eq!(of(&libc, Some(&debian)), "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc");
        assert_eq!(of(&package(Ecosystem::Npm, "@babel/core", "7.24.0"), None), "pkg:npm/%40babel/core@7.24.0");
        assert_eq!(of(&package(Ecosystem::Npm, "lodash", "4.17.20"), None), "pkg:npm/lodash@4.17.20");
        assert_eq!(of(&package(Ecosystem::PyPI, "Flask_Login", "0.6.3"), None), "pkg:pypi/flask-login@0.6.3");
        assert_eq!(of(&package(Ecosystem::Go, "golang.org/x/net", "0.20.0"), None), "pkg:golang/golang.org/x/net@v0.20.0");
        assert_eq!(of(&package(Ecosystem::Go, "stdlib", "1.22.5"), None), "pkg:golang/stdlib@1.22.5");
    }
}
