//! `shipshape images` end to end, against the real daemon and a real registry: Debian's
//! `docker-registry` (scripts/setup installs it) serving on a free 127.0.0.1 port from a
//! temporary folder, playing the classroom mirror.
//!
//! What must hold: every test removes every tag it made and stops its registry, also when it
//! fails (the guards below do it on drop); the stand-in images (`shipshape.test/...`) are only
//! ever tagged again under a loopback registry's name, never removed. Docker tests skip when
//! `docker info` fails, unless SHIPSHAPE_REQUIRE_DOCKER=1 (then they fail).
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use shipshape_test_support::{docker, docker_ready, image_id, skip_or_fail};
use tempfile::TempDir;

const BUSYBOX: &str = "shipshape.test/busybox:latest";
const STATIC: &str = "shipshape.test/distroless/static-debian12:nonroot";

fn shipshape(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shipshape"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SHIPSHAPE_IMAGE_MAP")
        .output()
        .expect("shipshape runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Both streams, for assertion messages.
fn said(output: &Output) -> String {
    format!("exit {:?}\n--- stdout\n{}--- stderr\n{}", output.status.code(), text(&output.stdout), text(&output.stderr))
}

/// False (after saying why) when a Docker test must skip; panics instead under
/// SHIPSHAPE_REQUIRE_DOCKER=1.
fn ready(needs_registry: bool) -> bool {
    if !docker_ready(&[BUSYBOX, STATIC]) {
        return false;
    }
    if needs_registry && Command::new("docker-registry").arg("--version").output().is_err() {
        skip_or_fail("docker-registry is not installed (run scripts/setup)");
        return false;
    }
    true
}

/// A `docker-registry serve` on a free 127.0.0.1 port, storage in its own temporary folder;
/// stopped on drop.
struct Registry {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl Registry {
    fn start() -> Registry {
        let dir = TempDir::new().unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("storage").display()
        );
        std::fs::write(dir.path().join("config.yml"), config).unwrap();
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("docker-registry starts");
        let registry = Registry { child, port, dir };
        registry.wait_until_it_answers();
        registry
    }

    fn wait_until_it_answers(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.answers() {
            let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
            assert!(Instant::now() < deadline, "docker-registry never answered on 127.0.0.1:{}:\n{log}", self.port);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn answers(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let mut reply = String::new();
        stream.write_all(b"GET /v2/ HTTP/1.0\r\n\r\n").is_ok() && stream.read_to_string(&mut reply).is_ok() && reply.split_whitespace().nth(1) == Some("200")
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Image names a test made; each is untagged on drop (an image whose last name that was goes
/// with it). Never a stand-in's name.
#[derive(Default)]
struct Tags(Vec<String>);

impl Tags {
    fn add(&mut self, name: &str) -> String {
        assert!(!name.starts_with("shipshape.test/"), "the tests never remove a stand-in's name ({name})");
        self.0.push(name.to_string());
        name.to_string()
    }
}

impl Drop for Tags {
    fn drop(&mut self) {
        for name in &self.0 {
            if image_id(name).is_some() {
                let output = docker(&["rmi", name]);
                if !output.status.success() {
                    eprintln!("warning: could not remove {name}: {}", text(&output.stderr));
                }
            }
        }
    }
}

/// A course with one exercise whose starter and solution Dockerfiles are given.
fn course(starter: &str, solution: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    let exercise = dir.path().join("exercises/01-mirror");
    std::fs::create_dir_all(exercise.join("solution")).unwrap();
    std::fs::write(exercise.join("exercise.toml"), "[exercise]\ntitle = \"images test\"\n\n[checks.builds]\n").unwrap();
    std::fs::write(exercise.join("Dockerfile"), starter).unwrap();
    std::fs::write(exercise.join("solution/Dockerfile"), solution).unwrap();
    dir
}

fn path(dir: &Path, relative: &str) -> String {
    dir.join(relative).display().to_string()
}

/// Tags `image` under `name` (a test-only name) and pushes it.
fn push(tags: &mut Tags, image: &str, name: &str) {
    let name = tags.add(name);
    assert!(docker(&["tag", image, &name]).status.success());
    let output = docker(&["push", &name]);
    assert!(output.status.success(), "docker push {name}: {}", said(&output));
}

/// A fresh image of one file (its own content, so `rmi` really removes it), named `name`.
fn unique_image(tags: &mut Tags, name: &str) -> String {
    let mut archive = tar::Builder::new(Vec::new());
    let content = format!("{name} made by the images test, process {}, {:?}\n", std::process::id(), Instant::now());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    archive.append_data(&mut header, "hello.txt", content.as_bytes()).unwrap();
    let tarball = archive.into_inner().unwrap();
    let name = tags.add(name);
    let mut import = Command::new("docker").args(["import", "-", &name]).stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    import.stdin.take().unwrap().write_all(&tarball).unwrap();
    assert!(import.wait().unwrap().success(), "docker import {name} failed");
    image_id(&name).expect("the imported image is there")
}

/// A name no other test process uses at the same time (and no stand-in has).
fn unique(name: &str) -> String {
    format!("shipshape-images.test/{name}-{}:1", std::process::id())
}

#[test]
fn pull_through_a_mirror_prints_and_writes_the_map_to_what_arrived() {
    if !ready(true) {
        return;
    }
    let registry = Registry::start();
    let mut tags = Tags::default();
    // Two stand-ins (their layers stay here: a pull finds them), and an image only the mirror keeps.
    let delta = unique("delta");
    let delta_id = unique_image(&mut tags, &delta);
    let images = [BUSYBOX, STATIC, &delta];
    let mirrored = images.map(|image| format!("{}/{image}", registry.host()));
    for (image, name) in images.iter().zip(&mirrored) {
        push(&mut tags, image, name);
        assert!(docker(&["rmi", name]).status.success(), "untagging {name}");
    }
    assert!(docker(&["rmi", &delta]).status.success());
    assert_eq!(image_id(&delta_id), None, "only the mirror has {delta} now");
    let course = course(
        &format!("FROM {BUSYBOX}\nCOPY . .\n"),
        &format!("FROM {BUSYBOX} AS build\nRUN true\nFROM {STATIC}\nCOPY --from=build /bin/busybox /busybox\nCOPY --from={delta} /hello.txt /\n"),
    );
    let map = path(course.path(), "mirror.toml");
    let output = shipshape(&["images", "pull", "--registry-mirror", &registry.host(), "--write-map", &map], course.path());
    assert!(output.status.success(), "{}", said(&output));
    eprintln!("{}", said(&output));

    let ids = [image_id(BUSYBOX), image_id(STATIC), Some(delta_id)];
    for ((image, name), id) in images.iter().zip(&mirrored).zip(ids) {
        assert_eq!(image_id(name), id, "{image} arrived from the mirror as {name}, the image pushed");
    }
    assert_eq!(image_id(&delta), None, "nothing is tagged with the name the course uses");
    let written: toml::Table = toml::from_str(&std::fs::read_to_string(&map).unwrap()).unwrap();
    let map_table = written["images"].as_table().unwrap();
    assert_eq!(map_table.len(), 3, "{written}");
    for (image, name) in images.iter().zip(&mirrored) {
        assert_eq!(map_table[*image].as_str(), Some(name.as_str()), "{written}");
    }
    assert_eq!(toml::from_str::<toml::Table>(&text(&output.stdout)).unwrap(), written, "stdout is the same map");

    let output = shipshape(&["images", "list", "--image-map", &map], &course.path().join("exercises/01-mirror/solution"));
    assert!(output.status.success(), "{}", said(&output));
    assert!(text(&output.stdout).contains("3 of 3 images present"), "{}", said(&output));
    assert!(text(&output.stdout).contains(&format!("as {}", mirrored[1])), "{}", said(&output));
}

#[test]
fn a_mirror_without_the_image_fails_naming_it() {
    if !ready(true) {
        return;
    }
    let registry = Registry::start();
    let course = course(&format!("FROM {BUSYBOX}\n"), &format!("FROM {BUSYBOX}\n"));
    let output = shipshape(&["images", "pull", "--course", &path(course.path(), ""), "--registry-mirror", &registry.host()], Path::new("/"));
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("1 of 1 images could not be pulled"), "{stderr}");
    assert!(stderr.contains(&format!("{}/{BUSYBOX}", registry.host())), "{stderr}");
    assert!(stderr.contains("_catalog"), "the action says how to look into the mirror: {stderr}");
}

#[test]
fn pull_without_a_mirror_needs_the_registry_and_says_so() {
    if !ready(false) {
        return;
    }
    let course = course("FROM shipshape.test/not-published:1\n", "FROM scratch\n");
    let output = shipshape(&["images", "pull"], course.path());
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("1 of 1 images could not be pulled"), "{stderr}");
    assert!(stderr.contains("shipshape.test/not-published:1"), "{stderr}");
    assert!(stderr.contains("--registry-mirror"), "{stderr}");
    assert!(text(&output.stdout).is_empty(), "no map without a mirror: {}", said(&output));
}

#[test]
fn save_rmi_load_brings_back_the_same_images() {
    if !ready(false) {
        return;
    }
    let mut tags = Tags::default();
    let alpha = unique("alpha");
    let beta = unique("beta");
    let ids = [unique_image(&mut tags, &alpha), unique_image(&mut tags, &beta)];
    let course = course("FROM example.test/alpha:1\n", "FROM example.test/alpha:1 AS build\nFROM example.test/beta:1\nCOPY --from=build /hello.txt /\n");
    let map = path(course.path(), "map.toml");
    std::fs::write(&map, format!("[images]\n\"example.test/alpha:1\" = \"{alpha}\"\n\"example.test/beta:1\" = \"{beta}\"\n")).unwrap();
    let archive = path(course.path(), "course-images.tar");

    let output = shipshape(&["images", "save", &archive, "--image-map", &map], course.path());
    assert!(output.status.success(), "{}", said(&output));
    let size = std::fs::metadata(&archive).unwrap().len();
    assert!(text(&output.stdout).contains("saved 2 images"), "{}", said(&output));
    assert!(text(&output.stdout).contains(&alpha) && text(&output.stdout).contains(&beta), "{}", said(&output));
    assert!(size > 1000, "the archive holds the images ({size} bytes)");
    eprintln!("{}", said(&output));

    for name in [&alpha, &beta] {
        assert!(docker(&["rmi", name]).status.success());
        assert_eq!(image_id(name), None, "{name} is gone before the load");
    }
    let output = shipshape(&["images", "load", &archive], Path::new("/"));
    assert!(output.status.success(), "{}", said(&output));
    eprintln!("{}", said(&output));
    assert!(text(&output.stdout).contains("loaded 2 images"), "{}", said(&output));
    assert_eq!([image_id(&alpha).unwrap(), image_id(&beta).unwrap()], ids, "the same images came back");
    assert_eq!(image_id("example.test/alpha:1"), None, "nothing is tagged with the public name");
}

#[test]
fn a_truncated_archive_is_refused_clearly() {
    if !ready(false) {
        return;
    }
    let mut tags = Tags::default();
    let gamma = unique("gamma");
    unique_image(&mut tags, &gamma);
    let course = course(&format!("FROM {gamma}\n"), &format!("FROM {gamma}\n"));
    let archive = course.path().join("gamma.tar");
    let output = shipshape(&["images", "save", &archive.display().to_string()], course.path());
    assert!(output.status.success(), "{}", said(&output));
    let bytes = std::fs::read(&archive).unwrap();
    std::fs::write(&archive, &bytes[..bytes.len() / 2]).unwrap();
    assert!(docker(&["rmi", &gamma]).status.success());

    let output = shipshape(&["images", "load", &archive.display().to_string()], Path::new("/"));
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cannot load") && stderr.contains("damaged or incomplete"), "{stderr}");
    eprintln!("{}", said(&output));
}

#[test]
fn a_missing_archive_or_course_is_a_usage_error() {
    let empty = TempDir::new().unwrap();
    let output = shipshape(&["images", "load", "nowhere.tar"], empty.path());
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    assert!(text(&output.stderr).contains("there is no archive nowhere.tar"), "{}", said(&output));

    let output = shipshape(&["images", "list"], empty.path());
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    assert!(text(&output.stderr).contains("no course here"), "{}", said(&output));

    let output = shipshape(&["images", "pull", "--write-map", "map.toml"], empty.path());
    assert_eq!(output.status.code(), Some(2), "--write-map needs --registry-mirror: {}", said(&output));
}

#[test]
fn a_dockerfile_that_hides_its_image_is_named() {
    let course = course("ARG BASE\nFROM $BASE\n", "FROM scratch\n");
    let output = shipshape(&["images", "list"], &course.path().join("exercises"));
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("01-mirror/Dockerfile") && stderr.contains("line 2"), "{stderr}");
}
