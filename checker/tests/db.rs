//! The offline vulnerability database, end to end: importing files, folders and zip archives,
//! merging, the content hash, the documented errors, and `shipshape db update|import|info`
//! against a real HTTP server on 127.0.0.1. Every test uses its own temporary folder.
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::{json, Value};
use shipshape::scan::db::{self, Database, Event};
use shipshape::scan::ecosystem::Ecosystem;
use shipshape_test_support::Response;
use tempfile::TempDir;

/// GitHub's advisory for minimist < 1.2.6 (CVE-2021-44906), trimmed; `modified` varies per test.
fn minimist(modified: &str) -> Value {
    json!({
        "schema_version": "1.6.0",
        "id": "GHSA-xvch-5gv4-984h",
        "modified": modified,
        "published": "2022-03-18T00:01:09Z",
        "aliases": ["CVE-2021-44906"],
        "summary": "Prototype Pollution in minimist",
        "details": "Minimist <=1.2.5 is vulnerable to Prototype Pollution via file index.js, function setKey() (lines 69-95).",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [
            {"package": {"ecosystem": "npm", "name": "minimist", "purl": "pkg:npm/minimist"},
             "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.2.4"}]}],
             "database_specific": {"source": "https://github.com/github/advisory-database/blob/main/advisories/github-reviewed/2022/03/GHSA-xvch-5gv4-984h/GHSA-xvch-5gv4-984h.json"}},
            {"package": {"ecosystem": "npm", "name": "minimist", "purl": "pkg:npm/minimist"},
             "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.2.6"}]}]}
        ],
        "references": [{"type": "ADVISORY", "url": "https://nvd.nist.gov/vuln/detail/CVE-2021-44906"}],
        "database_specific": {"cwe_ids": ["CWE-1321"], "severity": "CRITICAL", "github_reviewed": true}
    })
}

/// Debian's record for zlib's MiniZip overflow in bookworm: introduced 0, no fix.
fn zlib() -> Value {
    json!({
        "id": "DEBIAN-CVE-2023-45853",
        "modified": "2024-09-18T03:21:05Z",
        "upstream": ["CVE-2023-45853"],
        "details": "MiniZip in zlib through 1.3 has an integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_64 via a long filename, comment, or extra field.",
        "affected": [{
            "package": {"ecosystem": "Debian:12", "name": "zlib", "purl": "pkg:deb/debian/zlib?arch=source"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
            "versions": ["1:1.2.13.dfsg-1"],
            "ecosystem_specific": {"urgency": "not yet assigned"}
        }]
    })
}

/// GitHub's advisory for requests' Proxy-Authorization leak (CVE-2023-32681).
fn requests() -> Value {
    json!({
        "id": "GHSA-j8r2-6x86-q33q",
        "modified": "2024-06-21T21:33:48Z",
        "aliases": ["CVE-2023-32681", "PYSEC-2023-74"],
        "summary": "Unintended leak of Proxy-Authorization header in requests",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N"}],
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": "requests", "purl": "pkg:pypi/requests"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.3.0"}, {"fixed": "2.31.0"}]}]
        }],
        "database_specific": {"severity": "MODERATE"}
    })
}

/// Ubuntu's record for the same zlib flaw: an ecosystem Shipshape does not scan.
fn ubuntu_zlib() -> Value {
    json!({
        "id": "UBUNTU-CVE-2023-45853",
        "modified": "2024-07-01T00:00:00Z",
        "upstream": ["CVE-2023-45853"],
        "affected": [{"package": {"ecosystem": "Ubuntu:22.04:LTS", "name": "zlib"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]
    })
}

/// One more npm record, to see an update replace a whole ecosystem.
fn json5() -> Value {
    json!({
        "id": "GHSA-9c47-m6qq-7p4h",
        "modified": "2023-11-08T04:11:09Z",
        "aliases": ["CVE-2022-46175"],
        "summary": "Prototype Pollution in JSON5 via Parse Method",
        "affected": [{"package": {"ecosystem": "npm", "name": "json5"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.2"}]}]}],
        "database_specific": {"severity": "HIGH"}
    })
}

fn write_json(dir: &Path, name: &str, record: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, serde_json::to_vec_pretty(record).unwrap()).unwrap();
    path
}

/// A zip archive as OSV's all.zip is: one `<id>.json` per record.
fn zip_of(records: &[Value]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for record in records {
        zip.start_file(format!("{}.json", record["id"].as_str().unwrap()), zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(&serde_json::to_vec(record).unwrap()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn write_zip(dir: &Path, name: &str, records: &[Value]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, zip_of(records)).unwrap();
    path
}

fn temp() -> TempDir {
    tempfile::tempdir().unwrap()
}

fn open(dir: &Path) -> Database {
    Database::open(dir).unwrap_or_else(|e| panic!("{e}"))
}

fn ids(db: &Database, ecosystem: &Ecosystem, package: &str) -> Vec<String> {
    db.affected(ecosystem, package).into_iter().map(|record| record.id).collect()
}

fn debian12() -> Ecosystem {
    Ecosystem::Debian("12".into())
}

#[test]
fn imports_a_folder_and_a_zip() {
    let (sources, dbdir) = (temp(), temp());
    write_json(sources.path(), "records/npm/GHSA-xvch-5gv4-984h.json", &minimist("2024-02-07T23:37:50Z"));
    write_json(sources.path(), "records/debian/DEBIAN-CVE-2023-45853.json", &zlib());
    write_json(sources.path(), "records/notes.txt", &json!("not a record, not read"));
    let zip = write_zip(sources.path(), "PyPI-all.zip", &[requests()]);

    let report = db::import(dbdir.path(), &[sources.path().join("records"), zip]).unwrap();
    assert_eq!((report.read, report.added, report.total), (3, 3, 3));

    let db = open(dbdir.path());
    let found = db.affected(&Ecosystem::Npm, "minimist");
    assert_eq!(found.len(), 2, "both affected entries of the advisory");
    let (record, affected) = (&found[1], &found[1].affected[0]);
    assert_eq!(record.aliases, ["CVE-2021-44906"]);
    assert_eq!(record.severity[0].score, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    assert_eq!(record.label.as_deref(), Some("CRITICAL"));
    assert_eq!(affected.ranges[0].events, [Event::Introduced("1.0.0".into()), Event::Fixed("1.2.6".into())]);

    let zlib = db.affected(&debian12(), "zlib").into_iter().next().expect("zlib in Debian:12");
    let entry = &zlib.affected[0];
    assert_eq!((zlib.upstream.as_slice(), entry.ranges[0].events.as_slice()), (&["CVE-2023-45853".to_string()][..], &[Event::Introduced("0".into())][..]));
    assert_eq!(entry.label.as_deref(), Some("not yet assigned"));
    assert!(zlib.summary.starts_with("MiniZip in zlib through 1.3"));
    assert!(db.affected(&Ecosystem::Debian("11".into()), "zlib").is_empty(), "a Debian 12 record says nothing of Debian 11");

    assert_eq!(ids(&db, &Ecosystem::PyPI, "Requests"), ["GHSA-j8r2-6x86-q33q"], "PyPI names compare in PEP 503 form");
    assert!(ids(&db, &Ecosystem::Npm, "Minimist").is_empty(), "npm names are case-sensitive");
    let info = db.info();
    assert_eq!(info.records, 3);
    assert_eq!((info.ecosystems["npm"], info.ecosystems["Debian:12"], info.ecosystems["PyPI"]), (1, 1, 1));
}

#[test]
fn merges_by_id_and_a_newer_record_wins() {
    let (sources, dbdir) = (temp(), temp());
    let old = write_json(sources.path(), "old.json", &minimist("2022-03-18T00:01:09Z"));
    let mut changed = minimist("2024-02-07T23:37:50.736Z");
    changed["summary"] = json!("Prototype Pollution in minimist (revised)");
    let new = write_json(sources.path(), "new.json", &changed);

    db::import(dbdir.path(), std::slice::from_ref(&old)).unwrap();
    let report = db::import(dbdir.path(), &[new]).unwrap();
    assert_eq!((report.added, report.replaced, report.total), (0, 1, 1));
    let report = db::import(dbdir.path(), &[old]).unwrap();
    assert_eq!((report.replaced, report.unchanged), (0, 1), "an older version does not replace a newer one");
    let db = open(dbdir.path());
    let summaries: Vec<_> = db.affected(&Ecosystem::Npm, "minimist").into_iter().map(|r| r.summary).collect();
    assert_eq!(summaries, ["Prototype Pollution in minimist (revised)"; 2]);
}

#[test]
fn a_withdrawn_record_removes_its_older_version() {
    let (sources, dbdir) = (temp(), temp());
    db::import(dbdir.path(), &[write_json(sources.path(), "a.json", &json5()), write_json(sources.path(), "z.json", &zlib())]).unwrap();
    let mut withdrawn = json5();
    withdrawn["modified"] = json!("2025-01-01T00:00:00Z");
    withdrawn["withdrawn"] = json!("2025-01-01T00:00:00Z");
    let report = db::import(dbdir.path(), &[write_json(sources.path(), "w.json", &withdrawn)]).unwrap();
    assert_eq!((report.withdrawn, report.total), (1, 1));
    assert!(open(dbdir.path()).affected(&Ecosystem::Npm, "json5").is_empty());
}

#[test]
fn the_hash_depends_on_the_records_not_the_import_order() {
    let sources = temp();
    let paths = [
        write_json(sources.path(), "minimist.json", &minimist("2024-02-07T23:37:50Z")),
        write_json(sources.path(), "zlib.json", &zlib()),
        write_zip(sources.path(), "pypi.zip", &[requests()]),
    ];
    let hash_of = |order: &[usize]| {
        let dbdir = temp();
        for &i in order {
            db::import(dbdir.path(), &[paths[i].clone()]).unwrap();
        }
        open(dbdir.path()).hash().to_string()
    };
    let forward = hash_of(&[0, 1, 2]);
    assert!(forward.starts_with("sha256:") && forward.len() == 7 + 64, "{forward}");
    assert_eq!(forward, hash_of(&[2, 1, 0]));
    assert_eq!(forward, hash_of(&[1, 2, 0, 1]), "importing a record again changes nothing");

    let mut changed = minimist("2024-03-01T00:00:00Z");
    changed["affected"][1]["ranges"][0]["events"][1] = json!({"fixed": "1.2.7"});
    write_json(sources.path(), "minimist.json", &changed);
    assert_ne!(forward, hash_of(&[0, 1, 2]), "a changed record changes the hash");
}

#[test]
fn unknown_ecosystems_are_skipped_and_counted() {
    let (sources, dbdir) = (temp(), temp());
    let mut mixed = zlib();
    mixed["affected"].as_array_mut().unwrap().push(json!({"package": {"ecosystem": "crates.io", "name": "zlib-rs"}}));
    write_json(sources.path(), "mixed.json", &mixed);
    write_json(sources.path(), "ubuntu.json", &ubuntu_zlib());
    let report = db::import(dbdir.path(), &[sources.path().to_path_buf()]).unwrap();
    assert_eq!((report.read, report.added, report.skipped_records, report.total), (2, 1, 1, 1));
    assert_eq!(report.skipped_entries.get("crates.io"), Some(&1));
    assert_eq!(report.skipped_entries.get("Ubuntu:22.04:LTS"), Some(&1));
    let db = open(dbdir.path());
    let zlib = db.affected(&debian12(), "zlib");
    assert_eq!(zlib.len(), 1);
    let entry = &zlib[0].affected[0];
    assert_eq!(entry.package, "zlib");
}

#[test]
fn malformed_records_are_errors_naming_the_file_and_nothing_is_written() {
    let (sources, dbdir) = (temp(), temp());
    let good = write_json(sources.path(), "good.json", &zlib());
    std::fs::write(sources.path().join("broken.json"), b"{\"id\": \"GHSA-1\", \"modified\": ").unwrap();
    let mut no_id = minimist("2024-02-07T23:37:50Z");
    no_id.as_object_mut().unwrap().remove("id");
    let no_id = write_json(sources.path(), "no-id.json", &no_id);
    let mut bad_event = minimist("2024-02-07T23:37:50Z");
    bad_event["affected"][0]["ranges"][0]["events"][0] = json!({"introduced": "0", "fixed": "1"});
    let bad_event = write_json(sources.path(), "bad-event.json", &bad_event);

    for (path, cause) in [(sources.path().join("broken.json"), "EOF"), (no_id, "missing field `id`"), (bad_event, "")] {
        let error = db::import(dbdir.path(), &[good.clone(), path.clone()]).unwrap_err().to_string();
        assert!(error.contains(&format!("{} is not a valid OSV record", path.display())), "{error}");
        assert!(error.contains(cause), "{error}");
    }
    let error = Database::open(dbdir.path()).err().unwrap().to_string();
    assert!(error.contains("no vulnerability database"), "a failed import writes nothing: {error}");
}

#[test]
fn a_truncated_zip_is_an_error() {
    let (sources, dbdir) = (temp(), temp());
    let whole = zip_of(&[minimist("2024-02-07T23:37:50Z"), zlib()]);
    let path = sources.path().join("all.zip");
    std::fs::write(&path, &whole[..whole.len() / 2]).unwrap();
    let error = db::import(dbdir.path(), std::slice::from_ref(&path)).unwrap_err().to_string();
    assert!(error.contains(&format!("{} is not a readable zip archive", path.display())), "{error}");
    assert!(error.contains("truncated or damaged"), "{error}");
}

#[test]
fn a_missing_or_empty_database_is_an_error() {
    let (sources, dbdir) = (temp(), temp());
    let missing = Database::open(dbdir.path()).err().unwrap().to_string();
    assert!(missing.contains(&format!("no vulnerability database in {}", dbdir.path().display())), "{missing}");
    assert!(missing.contains("`shipshape db update` (online) or `shipshape db import FILE|DIR` (offline)"), "{missing}");

    let report = db::import(dbdir.path(), &[write_json(sources.path(), "ubuntu.json", &ubuntu_zlib())]).unwrap();
    assert_eq!((report.skipped_records, report.total), (1, 0));
    let empty = Database::open(dbdir.path()).err().unwrap().to_string();
    assert!(empty.contains("is empty") && empty.contains("an empty database would make every scan pass"), "{empty}");

    let info = shipshape(&["db", "info", "--db-dir", path_str(dbdir.path())]);
    assert_eq!(info.status.code(), Some(2));
    assert!(stderr(&info).contains("an empty database would make every scan pass"), "{}", stderr(&info));
    let info = shipshape(&["db", "info", "--db-dir", path_str(&dbdir.path().join("nowhere"))]);
    assert_eq!(info.status.code(), Some(2));
    assert!(stderr(&info).contains("no vulnerability database in"), "{}", stderr(&info));
}

#[test]
fn a_damaged_index_asks_for_a_reimport_and_an_import_replaces_it() {
    let (sources, dbdir) = (temp(), temp());
    let record = write_json(sources.path(), "zlib.json", &zlib());
    db::import(dbdir.path(), std::slice::from_ref(&record)).unwrap();
    let index = db::store::index_path(dbdir.path());
    let bytes = std::fs::read(&index).unwrap();
    std::fs::write(&index, &bytes[..bytes.len() - 1]).unwrap();
    let error = Database::open(dbdir.path()).err().unwrap().to_string();
    assert!(error.contains("cannot be used") && error.contains("re-import"), "{error}");
    let report = db::import(dbdir.path(), &[record]).unwrap();
    assert!(report.discarded.is_some());
    assert_eq!(open(dbdir.path()).info().records, 1);
}

#[test]
fn the_cli_imports_and_reports() {
    let (sources, dbdir) = (temp(), temp());
    write_json(sources.path(), "a/zlib.json", &zlib());
    write_json(sources.path(), "a/ubuntu.json", &ubuntu_zlib());
    let zip = write_zip(sources.path(), "npm.zip", &[minimist("2024-02-07T23:37:50Z")]);
    let import = shipshape(&["db", "import", path_str(&sources.path().join("a")), path_str(&zip), "--db-dir", path_str(dbdir.path())]);
    assert_eq!(import.status.code(), Some(0), "{}", stderr(&import));
    let out = stdout(&import);
    assert!(out.contains("read 3 records: 2 added"), "{out}");
    assert!(out.contains("Ubuntu:22.04:LTS 1"), "{out}");

    let info = shipshape(&["db", "info", "--db-dir", path_str(dbdir.path())]);
    assert_eq!(info.status.code(), Some(0), "{}", stderr(&info));
    assert!(stdout(&info).contains(open(dbdir.path()).hash()), "{}", stdout(&info));
    assert!(stdout(&info).contains("(0 days ago)"), "{}", stdout(&info));

    let bad = shipshape(&["db", "import", path_str(&sources.path().join("missing.json")), "--db-dir", path_str(dbdir.path())]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("cannot read"), "{}", stderr(&bad));
}

#[test]
fn update_downloads_imports_and_replaces_an_ecosystem() {
    let (sources, dbdir) = (temp(), temp());
    let base = serve(zip_of(&[minimist("2024-02-07T23:37:50Z")]));
    db::import(dbdir.path(), &[write_json(sources.path(), "json5.json", &json5()), write_json(sources.path(), "zlib.json", &zlib())]).unwrap();

    let update = shipshape(&["db", "update", "--base-url", &base, "--ecosystem", "npm", "--db-dir", path_str(dbdir.path())]);
    assert_eq!(update.status.code(), Some(0), "{}", stderr(&update));
    assert!(stdout(&update).contains(&format!("downloaded {base}/npm/all.zip")), "{}", stdout(&update));

    let db = open(dbdir.path());
    assert_eq!(ids(&db, &Ecosystem::Npm, "minimist"), ["GHSA-xvch-5gv4-984h"; 2]);
    assert!(ids(&db, &Ecosystem::Npm, "json5").is_empty(), "npm's records were replaced");
    assert_eq!(ids(&db, &debian12(), "zlib"), ["DEBIAN-CVE-2023-45853"], "Debian's were kept");
    let leftovers: Vec<_> = std::fs::read_dir(dbdir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, ["index.bin"], "no temporary file is left behind");

    let info = shipshape(&["db", "info", "--format", "json", "--db-dir", path_str(dbdir.path())]);
    assert_eq!(info.status.code(), Some(0), "{}", stderr(&info));
    let info: Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(info["records"], 2);
    assert_eq!(info["ecosystems"], json!({"Debian:12": 1, "npm": 1}));
    assert_eq!(info["hash"], db.hash());
    assert_eq!(info["age_days"], 0);
}

#[test]
fn update_errors_are_clear_and_leave_the_database_alone() {
    let (sources, dbdir) = (temp(), temp());
    db::import(dbdir.path(), &[write_json(sources.path(), "zlib.json", &zlib())]).unwrap();
    let before = open(dbdir.path()).hash().to_string();
    let base = serve(zip_of(&[minimist("2024-02-07T23:37:50Z")]));
    let dir = path_str(dbdir.path());

    let not_found = shipshape(&["db", "update", "--base-url", &base, "--ecosystem", "npm", "--ecosystem", "PyPI", "--db-dir", dir]);
    assert_eq!(not_found.status.code(), Some(2));
    assert!(stderr(&not_found).contains(&format!("cannot download {base}/PyPI/all.zip")), "{}", stderr(&not_found));
    assert!(stderr(&not_found).contains("404"), "{}", stderr(&not_found));

    let closed = format!("http://127.0.0.1:{}", TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port());
    let unreachable = shipshape(&["db", "update", "--base-url", &closed, "--ecosystem", "npm", "--db-dir", dir]);
    assert_eq!(unreachable.status.code(), Some(2));
    let message = stderr(&unreachable);
    assert!(message.contains(&format!("cannot download {closed}/npm/all.zip")) && message.contains("check the network"), "{message}");
    assert!(message.contains("shipshape db import"), "{message}");

    let damaged = zip_of(&[minimist("2024-02-07T23:37:50Z")]);
    let truncated = serve(damaged[..damaged.len() - 30].to_vec());
    let corrupt = shipshape(&["db", "update", "--base-url", &truncated, "--ecosystem", "npm", "--db-dir", dir]);
    assert_eq!(corrupt.status.code(), Some(2));
    assert!(stderr(&corrupt).contains("is not a readable zip archive"), "{}", stderr(&corrupt));

    let unknown = shipshape(&["db", "update", "--ecosystem", "crates.io", "--db-dir", dir]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown ecosystem `crates.io`") && stderr(&unknown).contains("Debian, npm, PyPI, Go, Alpine"), "{}", stderr(&unknown));

    assert_eq!(open(dbdir.path()).hash(), before);
}

#[test]
fn the_database_folder_comes_from_the_environment() {
    let (sources, home) = (temp(), temp());
    let record = write_json(sources.path(), "zlib.json", &zlib());
    let explicit = home.path().join("explicit");
    let import = shipshape_with(&["db", "import", path_str(&record)], &[("SHIPSHAPE_DB_DIR", &explicit), ("HOME", home.path())]);
    assert_eq!(import.status.code(), Some(0), "{}", stderr(&import));
    assert_eq!(open(&explicit).info().records, 1);

    let xdg = home.path().join("xdg");
    let info = shipshape_with(&["db", "info"], &[("XDG_CACHE_HOME", &xdg), ("HOME", home.path())]);
    assert!(stderr(&info).contains(&format!("no vulnerability database in {}", xdg.join("shipshape/db").display())), "{}", stderr(&info));
    let info = shipshape_with(&["db", "info"], &[("HOME", home.path())]);
    assert!(stderr(&info).contains(&format!("no vulnerability database in {}", home.path().join(".cache/shipshape/db").display())), "{}", stderr(&info));
}

/// 20,000 generated records load in well under half a second (asserted in release builds).
#[test]
fn twenty_thousand_records_load_fast() {
    let (sources, dbdir) = (temp(), temp());
    let records: Vec<Value> = (0..20_000)
        .map(|i| {
            let mut record = if i % 2 == 0 { minimist("2024-02-07T23:37:50Z") } else { zlib() };
            record["id"] = json!(format!("TEST-{i:05}"));
            record["affected"][0]["package"]["name"] = json!(format!("package-{}", i % 5_000));
            record
        })
        .collect();
    db::import(dbdir.path(), &[write_zip(sources.path(), "all.zip", &records)]).unwrap();

    let start = Instant::now();
    let db = open(dbdir.path());
    let elapsed = start.elapsed();
    eprintln!("loaded {} records in {elapsed:?}", db.info().records);
    assert_eq!(db.info().records, 20_000);
    assert_eq!(db.affected(&Ecosystem::Npm, "package-4").len(), 2 + 2, "two records, two affected entries each");
    if !cfg!(debug_assertions) {
        assert!(elapsed.as_secs_f64() < 0.5, "loading took {elapsed:?}");
    }
}

// --- the binary ---

fn shipshape(args: &[&str]) -> Output {
    shipshape_with(args, &[])
}

/// Runs the binary with `env` on top of an environment cleared of proxies and Shipshape's own
/// variables (so the user's real cache is never touched).
fn shipshape_with(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shipshape"));
    for name in ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "SHIPSHAPE_OSV_URL", "SHIPSHAPE_DB_DIR", "XDG_CACHE_HOME"]
    {
        command.env_remove(name);
    }
    command.envs(env.iter().copied()).args(args).output().unwrap()
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

// --- a tiny HTTP server on 127.0.0.1 ---

/// Serves `all_zip` at `/npm/all.zip` and 404 for everything else, on 127.0.0.1 for at most a few
/// requests; returns its base URL.
fn serve(all_zip: Vec<u8>) -> String {
    const MAX_REQUESTS: usize = 8;
    shipshape_test_support::serve(Some(MAX_REQUESTS), move |path| {
        let (status, body) = if path == "/npm/all.zip" { ("200 OK", all_zip.clone()) } else { ("404 Not Found", b"No such object".to_vec()) };
        Response { status, content_type: "application/zip", body }
    })
}
