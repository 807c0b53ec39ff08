//! The `scan` check and `shipshape scan` on the stand-in images with the course's database of real
//! advisories (tests/vulndb; its README lists the expected findings per image).
use shipshape_course_tests::*;

fn scan(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let output = shipshape(&all);
    (output.status.code().unwrap_or(-1), report(&output))
}

fn findings(report: &serde_json::Value) -> Vec<serde_json::Value> {
    report["checks"][0]["evidence"].as_array().unwrap().iter().filter_map(|e| e.get("finding").cloned()).collect()
}

fn severities(report: &serde_json::Value) -> String {
    report["checks"][0]["summary"].as_str().unwrap().to_string()
}

#[test]
fn the_full_node_image_fails_with_the_expected_findings() {
    let Some(_docker) = docker_lock() else { return };
    let (code, report) = scan(&["shipshape.test/node:bookworm"]);
    assert_eq!(code, 1);
    assert_eq!(report["checks"][0]["status"], "fail");
    // tests/vulndb/README.md: 5 CRITICAL, 2 HIGH, 4 MEDIUM, 1 LOW.
    let expected = "7 block (HIGH or above): 5 CRITICAL, 2 HIGH; 5 not blocking: 4 MEDIUM below HIGH, 1 LOW below HIGH";
    assert!(severities(&report).starts_with(expected), "{}", severities(&report));
    let listed = findings(&report);
    let ids: Vec<&str> = listed.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"DEBIAN-CVE-2023-45853"), "{ids:?}");
    for fixed_already in ["DEBIAN-CVE-2026-4046", "DEBIAN-CVE-2026-0915", "DEBIAN-CVE-2023-52425", "DEBIAN-CVE-2018-6913"] {
        assert!(!ids.contains(&fixed_already), "{fixed_already} is fixed at or below the installed version");
    }
    let zlib = listed.iter().find(|f| f["id"] == "DEBIAN-CVE-2023-45853").unwrap();
    assert_eq!(zlib["severity"], "CRITICAL");
    assert_eq!(zlib["score"], 9.8);
    assert_eq!(zlib["advisory_package"], "zlib");
    assert_eq!(zlib["packages"], serde_json::json!(["zlib1g"]));
    assert_eq!(zlib["fixed"], serde_json::Value::Null);
    let perl = listed.iter().find(|f| f["id"] == "DEBIAN-CVE-2026-8376").unwrap();
    assert_eq!(perl["fixed"], "5.36.0-7+deb12u4");
    // The grade names the database it was made with.
    let info = shipshape(&["db", "info", "--format", "json"]);
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(report["scan"]["database"]["hash"], info["hash"], "{info:#}");
}

#[test]
fn distroless_keeps_only_the_unfixed_base_findings() {
    let Some(_docker) = docker_lock() else { return };
    let image = "shipshape.test/distroless/nodejs-debian12:nonroot";
    let (code, report) = scan(&[image]);
    assert_eq!(code, 1);
    let ids: Vec<String> = findings(&report).iter().map(|f| f["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, ["DEBIAN-CVE-2023-45853", "DEBIAN-CVE-2026-5450"]);
    let (code, report) = scan(&[image, "--ignore-unfixed"]);
    assert_eq!(code, 0, "{report:#}");
    let (code, report) = scan(&["shipshape.test/distroless/static-debian12:nonroot"]);
    assert_eq!((code, report["checks"][0]["status"].as_str()), (0, Some("pass")), "{report:#}");
}

#[test]
fn ignore_entries_ignore_until_they_expire() {
    let Some(_docker) = docker_lock() else { return };
    let image = "shipshape.test/distroless/nodejs-debian12:nonroot";
    let entries = |expires: &str| {
        format!(
            "[[ignore]]\nid = \"CVE-2023-45853\"\nreason = \"minizip is not used\"\nexpires = {expires}\n[[ignore]]\nid = \"DEBIAN-CVE-2026-5450\"\nreason = \"no scanf %mc in the app\"\n"
        )
    };
    let dir = Scratch::new("ignore", &[("current.toml", &entries("2999-12-31")), ("expired.toml", &entries("2020-01-01"))]);
    let (code, report) = scan(&[image, "--ignore-file", &dir.path("current.toml")]);
    assert_eq!(code, 0, "{report:#}");
    let notes: Vec<&str> = report["checks"][0]["evidence"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert!(notes.iter().any(|n| n.starts_with("ignored until 2999-12-31 (minizip is not used) · CRITICAL DEBIAN-CVE-2023-45853")), "{notes:?}");
    let (code, report) = scan(&[image, "--ignore-file", &dir.path("expired.toml")]);
    assert_eq!(code, 1);
    let zlib = &report["checks"][0]["evidence"][0];
    assert!(zlib["message"].as_str().unwrap().contains("expired on 2020-01-01"), "{zlib:#}");
    assert_eq!(zlib["finding"]["disposition"], "expired-ignore");
}

#[test]
fn a_package_added_by_the_dockerfile_is_traced_to_its_line() {
    let Some(_docker) = docker_lock() else { return };
    let manifest = r#"{"name": "minimist", "version": "1.2.5", "main": "index.js"}"#;
    let dockerfile = "FROM gcr.io/distroless/static-debian12:nonroot\nWORKDIR /app\n\nCOPY node_modules/ /app/node_modules/\n";
    let spec = "[checks.builds]\n[checks.scan]\nfail-on = \"CRITICAL\"\n";
    let dir = Scratch::new("npm-line", &[("exercise.toml", spec), ("Dockerfile", dockerfile), ("node_modules/minimist/package.json", manifest)]);
    let output = shipshape(&["check", &dir.path(""), "--image-map", &image_map().display().to_string(), "--format", "json"]);
    let report = report(&output);
    let scan = &report["checks"][1];
    assert_eq!(scan["status"], "fail", "{report:#}");
    let evidence = &scan["evidence"][0];
    assert_eq!(evidence["finding"]["id"], "GHSA-xvch-5gv4-984h");
    assert_eq!(evidence["path"], "app/node_modules/minimist/package.json");
    assert_eq!(evidence["dockerfile_line"], 4, "{evidence:#}");
    assert!(evidence["finding"]["advice"].as_str().unwrap().contains("upgrade it to 1.2.6"), "{evidence:#}");
}

#[test]
fn scanning_needs_a_real_database_and_a_real_scanner() {
    let empty = Scratch::new("no-db", &[("spec.toml", "[checks.scan]\n"), ("bad-date.toml", "[[ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = \"soon\"\n")]);
    let archive = fixture("dive/test-docker-image.tar").display().to_string();
    let output = shipshape_with_env(&["scan", "--archive", &archive], &[("SHIPSHAPE_DB_DIR", &empty.path("db"))]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no vulnerability database"), "{}", stderr(&output));
    let output = shipshape(&["scan", "--archive", &archive, "--ignore-file", &empty.path("bad-date.toml")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("not a date"), "{}", stderr(&output));
    let output = shipshape_with_env(&["scan", "--archive", &archive, "--scanner", "trivy"], &[("PATH", "/nonexistent")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot run Trivy"), "{}", stderr(&output));
    let output = shipshape(&["scan", "--archive", &archive, "--fail-on", "SEVERE"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("SEVERE"), "{}", stderr(&output));
}

#[test]
fn an_archive_scans_like_its_image() {
    // dive's test image is busybox: no package database, so no findings, and still a verdict.
    let archive = fixture("dive/test-docker-image.tar").display().to_string();
    let (code, report) = scan(&["--archive", &archive]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["scan"]["packages"], 0);
}

/// Trivy cannot be installed here, so a stand-in `trivy` on PATH answers with one of Trivy's own
/// reports (../shared/fixtures/trivy); this proves the adapter's invocation and that its findings
/// are graded by the same policy, not Trivy itself.
#[test]
fn trivy_reports_are_graded_by_the_same_policy() {
    let Some(_docker) = docker_lock() else { return };
    let trivy_report = fixture("trivy/debian-buster.json.golden").display().to_string();
    let script =
        format!("#!/bin/sh\n[ \"$1 $2 $3 $4\" = \"image --format json --quiet\" ] || {{ echo \"unexpected: $*\" >&2; exit 3; }}\ncat '{trivy_report}'\n");
    let dir = Scratch::new("trivy", &[("bin/trivy", &script)]);
    std::fs::set_permissions(dir.dir.join("bin/trivy"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", dir.path("bin"), std::env::var("PATH").unwrap_or_default());
    let image = "shipshape.test/distroless/static-debian12:nonroot";
    let run = |extra: &[&str]| {
        let mut args = vec!["scan", image, "--scanner", "trivy", "--format", "json"];
        args.extend_from_slice(extra);
        let output = shipshape_with_env(&args, &[("PATH", &path)]);
        (output.status.code(), report(&output))
    };
    // CVE-2019-18224 (libidn2-0, CRITICAL, fixed) and CVE-2019-18276 (bash, LOW, no fix).
    let (code, judged) = run(&[]);
    assert_eq!(code, Some(1), "{judged:#}");
    assert_eq!(judged["scan"]["scanner"], "trivy");
    assert_eq!(judged["scan"]["by_severity"], serde_json::json!({"CRITICAL": 1, "LOW": 1}));
    let listed: Vec<(&str, &str)> = judged["checks"][0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["finding"]["id"].as_str().unwrap(), e["finding"]["disposition"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [("CVE-2019-18224", "failing"), ("CVE-2019-18276", "below-limit")], "only the CRITICAL one is at or above HIGH");
    let dir_ignore = Scratch::new("trivy-ignore", &[("ignore.toml", "[[ignore]]\nid = \"CVE-2019-18224\"\nreason = \"libidn2 is not reachable\"\n")]);
    let (code, judged) = run(&["--ignore-file", &dir_ignore.path("ignore.toml")]);
    assert_eq!(code, Some(0), "the ignore file applies to Trivy's findings too: {judged:#}");
    let (code, judged) = run(&["--fail-on", "LOW", "--ignore-file", &dir_ignore.path("ignore.toml")]);
    assert_eq!(code, Some(1), "the LOW bash finding fails at LOW: {judged:#}");
    let (code, _) = run(&["--fail-on", "LOW", "--ignore-file", &dir_ignore.path("ignore.toml"), "--ignore-unfixed"]);
    assert_eq!(code, Some(0), "and is let through as unfixed");
}

/// Exercise 11 handed in as its reference does it, with `triage` (file name, text) beside the
/// Dockerfile instead of the reference's own triage files.
fn notice_board(name: &str, triage: &[(&str, String)]) -> Scratch {
    let exercise = root().join("exercises/11-nginx-cves");
    let mut files: Vec<(String, String)> = vec![("Dockerfile".into(), std::fs::read_to_string(exercise.join("solution/Dockerfile")).unwrap())];
    for name in ["exercise.toml", "nginx.conf", "site.conf.template"] {
        files.push((name.into(), std::fs::read_to_string(exercise.join(name)).unwrap()));
    }
    for page in std::fs::read_dir(exercise.join("site")).unwrap().chain(std::fs::read_dir(exercise.join("site/notices")).unwrap()) {
        let path = page.unwrap().path();
        if path.is_file() {
            let relative = path.strip_prefix(&exercise).unwrap().display().to_string();
            files.push((relative, std::fs::read_to_string(&path).unwrap()));
        }
    }
    files.extend(triage.iter().map(|(file, text)| (file.to_string(), text.clone())));
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(path, text)| (path.as_str(), text.as_str())).collect();
    Scratch::new(name, &borrowed)
}

/// `check` of a notice board submission on `today`, as JSON; the scan check and its findings.
fn check_notice_board(submission: &Scratch, today: &str) -> (i32, serde_json::Value) {
    let (dir, map) = (submission.dir.display().to_string(), image_map().display().to_string());
    let output = shipshape_with_env(&["check", &dir, "--image-map", &map, "--format", "json"], &[("SHIPSHAPE_TODAY", today)]);
    (output.status.code().unwrap_or(-1), report(&output))
}

fn reference_triage(file: &str) -> (&str, String) {
    (file, std::fs::read_to_string(root().join("exercises/11-nginx-cves/solution").join(file)).unwrap())
}

#[test]
fn the_notice_board_is_triaged_by_either_file_until_the_entries_expire() {
    let Some(_docker) = docker_lock() else { return };
    let scan_of = |report: &serde_json::Value| check_of(report, "scan").clone();
    let upgraded_only = notice_board("nginx-untriaged", &[]);
    let (code, report) = check_notice_board(&upgraded_only, "2026-12-06");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(ids_with_status(&report, "fail"), ["scan"], "the upgrade alone passes everything else: {report:#}");
    assert!(scan_of(&report)["summary"].as_str().unwrap().starts_with("3 block (HIGH or above): 1 CRITICAL, 2 HIGH; 159 packages scanned"), "{report:#}");

    for file in ["accepted-risk.toml", "triage.openvex.json"] {
        let submission = notice_board(&format!("nginx-{file}"), &[reference_triage(file)]);
        let (code, report) = check_notice_board(&submission, "2027-06-30");
        assert_eq!(code, 0, "{file} triages the three libxml2 findings until their last day: {report:#}");
        let scan = scan_of(&report);
        assert!(
            scan["summary"].as_str().unwrap().starts_with("nothing blocks (HIGH or above); 3 not blocking: 1 CRITICAL ignored, 2 HIGH ignored"),
            "{scan:#}"
        );
        let notes: Vec<&serde_json::Value> = scan["evidence"].as_array().unwrap().iter().map(|e| &e["finding"]["ignore"]).collect();
        assert!(notes.iter().all(|n| n["expires"] == "2027-06-30"), "{notes:#?}");
        let statement = notes[0].get("statement").and_then(|s| s.as_str());
        assert_eq!(statement.is_some(), file.ends_with(".json"), "a VEX statement is named, an ignore entry is not: {notes:#?}");

        let (code, report) = check_notice_board(&submission, "2027-07-01");
        assert_eq!(code, 1, "{report:#}");
        let scan = scan_of(&report);
        assert!(scan["summary"].as_str().unwrap().starts_with("3 block (HIGH or above): 1 CRITICAL, 2 HIGH"), "{scan:#}");
        for evidence in scan["evidence"].as_array().unwrap() {
            assert_eq!(evidence["finding"]["disposition"], "expired-ignore", "{evidence:#}");
            assert!(evidence["message"].as_str().unwrap().contains("expired on 2027-06-30"), "{evidence:#}");
        }
    }
}
