//! The probe's client as a program of its own: the crate root `build.rs` compiles, static, with
//! nothing but the standard library. Not a module of Shipshape; `client.rs` and `protocol.rs` are.
#[path = "client.rs"]
mod client;
#[path = "protocol.rs"]
mod protocol;

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(client::run(&arguments, &mut std::io::stdout().lock()));
}
