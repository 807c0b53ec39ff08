//! The probe's HTTP client. It runs in a container of its own that shares the learner's network
//! namespace, so it reaches the app on that namespace's loopback and nothing else: `GET path` on
//! 127.0.0.1, tried every 250 ms until an HTTP answer comes or the deadline passes; the answer
//! (at most [`READ_LIMIT`] bytes) goes to standard output and the exit code says which it was.
//!
//! What must hold: std only. `build.rs` compiles this file (with `client_bin.rs` as the crate
//! root) into a static binary that Shipshape embeds and imports as a one-file image, so it works
//! offline, on any daemon, with no shell, library or file beside it. One try, from connecting to
//! the end of the response, takes at most 5 s, so the client stops soon after its deadline.
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::protocol::{parse, Request, ANSWERED, KEPT, NO_ANSWER};

/// The client could not do its work: a command line it does not understand, or its output closed.
const FAILED: i32 = 1;
/// Bytes of a response read at most: the head, and the body with room to spare.
const READ_LIMIT: usize = 2 * KEPT;

/// How long one try may take, from connecting to the end of the response.
const TRY: Duration = Duration::from_secs(5);
/// The pause between tries.
const PAUSE: Duration = Duration::from_millis(250);

/// Runs the client on its command line, writing the answer to `out`; returns the exit code.
pub(crate) fn run(arguments: &[String], out: &mut impl Write) -> i32 {
    let Some(request) = parse_arguments(arguments) else { return FAILED };
    let deadline = Instant::now() + Duration::from_secs(request.seconds);
    loop {
        if let Some(response) = try_once(&request) {
            return if out.write_all(&response).and_then(|()| out.flush()).is_ok() { ANSWERED } else { FAILED };
        }
        if Instant::now() >= deadline {
            return NO_ANSWER;
        }
        std::thread::sleep(PAUSE);
    }
}

/// The request a command line asks for (the inverse of [`Request::arguments`]).
fn parse_arguments(arguments: &[String]) -> Option<Request> {
    match arguments {
        [port, seconds, path] => Some(Request { port: port.parse().ok()?, path: path.clone(), seconds: seconds.parse().ok()? }),
        _ => None,
    }
}

/// One GET: the response read until the server closes the connection or [`READ_LIMIT`] bytes
/// came, when it is an HTTP answer; `None` when nothing listens, the try times out, or what came
/// back is not HTTP.
fn try_once(request: &Request) -> Option<Vec<u8>> {
    let until = Instant::now() + TRY;
    let mut stream = TcpStream::connect_timeout(&SocketAddr::from((Ipv4Addr::LOCALHOST, request.port)), TRY).ok()?;
    stream.set_write_timeout(Some(TRY)).ok()?;
    let text = format!("GET {} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n", request.path, request.port);
    stream.write_all(text.as_bytes()).ok()?;
    let mut response = Vec::new();
    let mut chunk = [0; 16 * 1024];
    while response.len() < READ_LIMIT {
        let left = until.checked_duration_since(Instant::now()).filter(|left| !left.is_zero())?;
        stream.set_read_timeout(Some(left)).ok()?;
        match stream.read(&mut chunk).ok()? {
            0 => break,
            read => response.extend_from_slice(&chunk[..read]),
        }
    }
    response.truncate(READ_LIMIT);
    parse(&response).map(|_| response)
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::thread;

    use super::*;

    fn arguments(port: u16, seconds: u64) -> Vec<String> {
        Request { port, path: "/health".into(), seconds }.arguments()
    }

    /// A server on a free loopback port that answers each connection with the next of `replies`,
    /// after reading the request.
    fn server(replies: Vec<Vec<u8>>) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        thread::spawn(move || {
            for (reply, stream) in replies.into_iter().zip(listener.incoming()) {
                let mut stream = stream.unwrap();
                let mut request = [0; 1024];
                let read = stream.read(&mut request).unwrap();
                assert!(request[..read].starts_with(b"GET /health HTTP/1.0\r\n"));
                stream.write_all(&reply).unwrap();
            }
        });
        port
    }

    #[test]
    fn prints_the_first_http_answer_after_trying_past_what_is_not_one() {
        let port = server(vec![b"SSH-2.0-nope\r\n".to_vec(), b"HTTP/1.0 200 OK\r\n\r\nBeacon is lit".to_vec()]);
        let mut out = Vec::new();
        assert_eq!(run(&arguments(port, 10), &mut out), ANSWERED);
        assert_eq!(out, b"HTTP/1.0 200 OK\r\n\r\nBeacon is lit");
    }

    #[test]
    fn keeps_at_most_the_read_limit() {
        let port = server(vec![[b"HTTP/1.0 200 OK\r\n\r\n".as_slice(), &vec![b'x'; 3 * READ_LIMIT]].concat()]);
        let mut out = Vec::new();
        assert_eq!(run(&arguments(port, 10), &mut out), ANSWERED);
        assert_eq!(out.len(), READ_LIMIT);
    }

    #[test]
    fn gives_up_at_the_deadline_when_nothing_listens() {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let started = Instant::now();
        assert_eq!(run(&arguments(port, 1), &mut Vec::new()), NO_ANSWER);
        assert!(started.elapsed() >= Duration::from_secs(1) && started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    }

    #[test]
    fn reads_the_command_line_shipshape_writes_and_refuses_any_other() {
        let asked = Request { port: 8080, path: "/health?full=1".into(), seconds: 30 };
        assert_eq!(parse_arguments(&asked.arguments()), Some(asked));
        assert_eq!(parse_arguments(&["http".into(), "30".into(), "/".into()]), None);
        assert_eq!(run(&["8080".into(), "30".into()], &mut Vec::new()), FAILED);
    }
}
