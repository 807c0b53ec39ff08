//! The contract between Shipshape and the probe's client (`client.rs`): the client's arguments,
//! the exit codes Shipshape reads, what counts as an HTTP answer and how much of it is kept.
//! Shipshape judges the answer; the client must tell an answer from a half-started server to know
//! when to stop trying.
//!
//! What must hold: std only (the client is built from this file with nothing but the standard
//! library), and both sides read the same arguments, codes and bounds from here (the client alone
//! has a code for its own failure, which Shipshape reports as an error whatever its number).

/// The client printed an answer on its standard output.
pub(crate) const ANSWERED: i32 = 0;
/// Nothing answered before the deadline.
pub(crate) const NO_ANSWER: i32 = 2;

/// What the client is asked: `GET path` on 127.0.0.1:`port`, trying until `seconds` have passed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) port: u16,
    pub(crate) path: String,
    pub(crate) seconds: u64,
}

impl Request {
    /// The client's command line for this request.
    pub(crate) fn arguments(&self) -> Vec<String> {
        vec![self.port.to_string(), self.seconds.to_string(), self.path.clone()]
    }
}

/// Bytes of the response body kept, and of the container's output.
pub(crate) const KEPT: usize = 64 * 1024;

/// An HTTP response: its status and the first [`KEPT`] characters of its body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: String,
}

/// The answer in `response` (a status line, headers, a blank line, the body), or `None` when it
/// is not an HTTP response.
pub(crate) fn parse(response: &[u8]) -> Option<Answer> {
    let text = String::from_utf8_lossy(response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some(Answer { status, body: body.chars().take(KEPT).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_has_a_status_and_a_bounded_body() {
        let answer = parse(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nBeacon is lit").unwrap();
        assert_eq!(answer, Answer { status: 200, body: "Beacon is lit".into() });
        let long = [b"HTTP/1.1 404 Not Found\r\n\r\n".as_slice(), &vec![b'x'; KEPT + 10]].concat();
        assert_eq!(parse(&long).unwrap().body.len(), KEPT);
        assert_eq!(parse(b"HTTP/1.0 204 No Content\r\n").unwrap(), Answer { status: 204, body: String::new() });
    }

    #[test]
    fn anything_else_is_no_answer() {
        for response in [b"".as_slice(), b"hello", b"SSH-2.0-OpenSSH_9.2\r\n", b"HTTP/1.0 OK\r\n\r\n"] {
            assert_eq!(parse(response), None, "{:?}", String::from_utf8_lossy(response));
        }
    }
}
