//! Builds the probe's HTTP client (`src/docker/probe/client_bin.rs`) into a static Linux binary in
//! OUT_DIR, for `docker::probe::client_image` to embed: the client then runs in a one-file image on
//! any daemon, offline, with no library beside it.
//!
//! What must hold: the build needs nothing but the Rust toolchain and a C library that links
//! statically (glibc's `libc.a`, from libc6-dev); when the client cannot be linked statically the
//! build fails and says what to install, instead of embedding a binary that would not run.
use std::path::{Path, PathBuf};
use std::process::Command;

const SOURCES: &str = "src/docker/probe";
const ROOT: &str = "client_bin.rs";
const BINARY: &str = "shipshape-probe-client";

fn main() {
    for file in [ROOT, "client.rs", "protocol.rs"] {
        println!("cargo:rerun-if-changed={SOURCES}/{file}");
    }
    let target = env("TARGET");
    if !target.contains("-linux-") {
        fail(&format!("the probe's client runs in a Linux container, so Shipshape is built for Linux only, not for {target}"));
    }
    let binary = PathBuf::from(env("OUT_DIR")).join(BINARY);
    compile(&target, &binary);
    if !is_static(&std::fs::read(&binary).unwrap_or_default()) {
        fail("the probe's client was linked dynamically: this target cannot link a static binary with `-C target-feature=+crt-static`");
    }
}

fn compile(target: &str, binary: &Path) {
    let flags = ["target-feature=+crt-static", "opt-level=s", "strip=symbols", "panic=abort"];
    let mut rustc = Command::new(env("RUSTC"));
    rustc.args(["--edition", "2021", "--crate-type", "bin", "--crate-name", "shipshape_probe_client", "--cap-lints", "allow", "--target", target]);
    rustc.args(flags.iter().flat_map(|flag| ["-C", flag])).arg("-o").arg(binary).arg(Path::new(SOURCES).join(ROOT));
    let output = rustc.output().unwrap_or_else(|e| fail(&format!("cannot run rustc: {e}")));
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        fail(&format!(
            "cannot build the probe's client as a static binary (it needs the C library's static archive, libc.a: \
             on Debian or Ubuntu `apt-get install libc6-dev`):\n{said}"
        ));
    }
}

/// True when the ELF file has no program interpreter (`PT_INTERP`): nothing is loaded beside it.
fn is_static(elf: &[u8]) -> bool {
    const PT_INTERP: u32 = 3;
    let (Some(b"\x7fELF"), Some(&class), Some(&data)) = (elf.get(..4), elf.get(4), elf.get(5)) else { return false };
    let little = data == 1;
    let number = |at: usize, size: usize| -> Option<usize> {
        let bytes = elf.get(at..at + size)?;
        let fold = |n: usize, b: &u8| (n << 8) | usize::from(*b);
        Some(if little { bytes.iter().rev().fold(0, fold) } else { bytes.iter().fold(0, fold) })
    };
    let headers = if class == 2 { (number(0x20, 8), number(0x36, 2), number(0x38, 2)) } else { (number(0x1c, 4), number(0x2a, 2), number(0x2c, 2)) };
    let (Some(offset), Some(size), Some(count)) = headers else { return false };
    (0..count).all(|i| number(offset + i * size, 4).is_some_and(|kind| kind != PT_INTERP as usize))
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| fail(&format!("cargo did not set {name}")))
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
