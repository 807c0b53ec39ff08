//! The layer cache: a second look at an unchanged image reads nothing from the daemon; a corrupt
//! entry is rebuilt, never trusted; `--no-cache` reads everything again; an OCI archive's layers
//! already known are passed over.
use shipshape_course_tests::*;

const SPEC: &str = "[checks.size]\nmax = \"1 GB\"\n[checks.non-root]\n[checks.no-shell]\n[checks.no-package-manager]\n";

fn judge(args: &[&str], cache: &str) -> serde_json::Value {
    report(&shipshape_with_env(args, &[("SHIPSHAPE_CACHE_DIR", cache)]))
}

fn verdicts(report: &serde_json::Value) -> Vec<(String, String)> {
    statuses(report)
}

#[test]
fn hit_miss_corrupt_and_no_cache() {
    let Some(_docker) = docker_lock() else { return };
    let dir = Scratch::new("cache", &[("spec.toml", SPEC)]);
    let cache = dir.path("cache");
    let image = "shipshape.test/node:bookworm-slim";
    let args = ["check", "--image", image, "--spec", &dir.path("spec.toml"), "--format", "json"];

    let cold = judge(&args, &cache);
    assert_eq!(cold["image"]["cached_layers"], 0, "a miss reads the image");
    let warm = judge(&args, &cache);
    assert_eq!(warm["image"]["cached_layers"], warm["image"]["layers"], "a hit reads nothing");
    assert_eq!(verdicts(&warm), verdicts(&cold));
    assert_eq!(warm["image"]["size"], cold["image"]["size"]);
    assert_eq!(warm["checks"][2]["evidence"], cold["checks"][2]["evidence"], "same evidence from the cache");

    let mut args_no_cache = args.to_vec();
    args_no_cache.push("--no-cache");
    assert_eq!(judge(&args_no_cache, &cache)["image"]["cached_layers"], 0, "--no-cache reads everything again");

    // Flip a byte in every layer entry: none may be trusted; they are read again and rewritten.
    let layers = std::path::Path::new(&cache).join("layers");
    for entry in std::fs::read_dir(&layers).unwrap() {
        let path = entry.unwrap().path();
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x55;
        std::fs::write(&path, bytes).unwrap();
    }
    let after_corruption = judge(&args, &cache);
    assert_eq!(after_corruption["image"]["cached_layers"], 0, "corrupt entries are not trusted");
    assert_eq!(verdicts(&after_corruption), verdicts(&cold));
    assert_eq!(judge(&args, &cache)["image"]["cached_layers"], cold["image"]["layers"], "and were rebuilt");
}

#[test]
fn an_oci_archive_passes_over_layers_it_already_knows() {
    let Some(_docker) = docker_lock() else { return };
    let dir = Scratch::new("cache-oci", &[("spec.toml", SPEC)]);
    let archive = dir.path("image.oci.tar");
    // Uncompressed layers: OCI names each blob by its digest, which is then the layer's diff ID.
    oci_archive("shipshape.test/busybox:latest", &archive, &["--dest-oci-accept-uncompressed-layers"]);
    let cache = dir.path("cache");
    let args = ["check", "--archive", &archive, "--spec", &dir.path("spec.toml"), "--format", "json"];
    let cold = judge(&args, &cache);
    assert_eq!(cold["image"]["cached_layers"], 0);
    let warm = judge(&args, &cache);
    assert_eq!(warm["image"]["cached_layers"], 1);
    assert_eq!(verdicts(&warm), verdicts(&cold));
    assert_eq!(ids_with_status(&warm, "fail"), ["non-root", "no-shell", "no-package-manager"].map(String::from));
}

#[test]
fn the_compressed_size_is_measured_only_when_asked_and_then_kept() {
    let Some(_docker) = docker_lock() else { return };
    let dir = Scratch::new("cache-compressed", &[("spec.toml", SPEC)]);
    let cache = dir.path("cache");
    let image = "shipshape.test/debian:trixie-slim";
    let args = ["check", "--image", image, "--spec", &dir.path("spec.toml"), "--format", "json"];
    let plain = judge(&args, &cache);
    assert!(plain["image"].get("compressed_size").is_none(), "not asked, not measured: {}", plain["image"]);

    let asked = [&args[..], &["--compressed-size"]].concat();
    let measured = judge(&asked, &cache);
    assert_eq!(measured["image"]["cached_layers"], 0, "the facts are cached but the size is not: the layers are read again");
    let compressed = measured["image"]["compressed_size"].as_u64().expect("measured when asked");
    let size = measured["image"]["size"].as_u64().unwrap();
    assert!(compressed * 2 < size, "{compressed} bytes compressed of {size}: a Debian root compresses more than twice");

    let again = judge(&asked, &cache);
    assert_eq!(again["image"]["cached_layers"], again["image"]["layers"], "the size is kept with the layer");
    assert_eq!(again["image"]["compressed_size"].as_u64(), Some(compressed));

    let limited = dir.path("limited.toml");
    std::fs::write(&limited, format!("[checks.size]\nmax = \"1 GB\"\nmax-compressed = \"{} B\"\n", compressed - 1)).unwrap();
    let over = judge(&["check", "--image", image, "--spec", &limited, "--format", "json"], &cache);
    assert_eq!(over["image"]["compressed_size"].as_u64(), Some(compressed), "a spec with max-compressed measures it unasked");
    assert_eq!(ids_with_status(&over, "fail"), ["size"].map(String::from), "one byte over the limit");
}
