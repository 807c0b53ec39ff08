//! How untrusted text is written into each output. A submission controls much of what Shipshape
//! prints: its folder's name, the names of files in its image, what its build printed, the reason
//! it could not be judged. Every renderer passes such text through the one function of its target
//! format here, so no output can be steered by it.
//!
//! - [`visible`]: terminal text (the `grade` table and progress lines, `check`'s human report) and
//!   JUnit; control characters (C0, DEL, C1: newlines, CR, ANSI escapes) and the Unicode bidi
//!   controls become visible escapes (`\n`, `\u{1b}`), so a name cannot add a line, move the cursor
//!   or reorder what the terminal shows.
//! - [`csv_cell`]: a cell a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
//!   tab or CR) gets a leading `'` (OWASP's advice on CSV injection; the writer quotes every cell).
//! - [`github_data`] and [`github_property`]: a workflow command's message and its properties,
//!   escaped as the runner expects (`%`, CR and LF; also `:` and `,` in properties), so a message
//!   can never end the command early or forge another one; other control characters as [`visible`].
//! - [`html`]: markup escaped (the `html-escape` crate), control characters as [`visible`].
//! - [`student_id`]: a student folder's name as an id, readable and collision-free, used as the
//!   student's name in every output and as the folder name in the out-dir (docs/grading.md).
//!
//! What must hold: [`student_id`] is injective (two different folder names never give one id,
//! whatever bytes they hold) and its output is a valid, visible file name; the other functions
//! leave text without anything to escape unchanged.
use std::ffi::OsStr;
use std::fmt::Write;
use std::os::unix::ffi::OsStrExt;

use sha2::{Digest, Sha256};

/// True for what must never reach an output raw: control characters (C0, DEL, C1) and the bidi
/// controls that reorder text on screen (Trojan Source).
fn is_hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character as a visible escape (`\n`, `\r`, `\t`, `\u{1b}`).
pub(crate) fn visible(text: &str) -> String {
    if !text.chars().any(is_hidden) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hidden(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// A CSV cell that no spreadsheet runs: a leading `=`, `+`, `-`, `@`, tab or CR is preceded by
/// `'`. The text's own control characters are the caller's to make [`visible`] (evidence cells
/// keep the newlines that join their lines).
pub(crate) fn csv_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// A workflow command's message: `%`, CR and LF percent-encoded, as the runner decodes them.
pub(crate) fn github_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if is_hidden(c) => out.extend(c.escape_debug()),
            c => out.push(c),
        }
    }
    out
}

/// A workflow command's property value (a file, a title): as [`github_data`], and `:` and `,`
/// encoded, so it can end neither the property nor the properties.
pub(crate) fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Text for an HTML page, inside an element or a quoted attribute.
pub(crate) fn html(text: &str) -> String {
    html_escape::encode_quoted_attribute(&visible(text)).into_owned()
}

/// File names longer than this get a shortened id (most file systems allow 255 bytes).
const NAME_MAX: usize = 255;

/// A folder's name as a student id: the name as it is, except that `%`, control characters, bidi
/// controls and bytes that are not UTF-8 are written `%XX` (each byte, in hex). An id longer than a
/// file name may be is cut at 180 bytes and ends with `%-` and the SHA-256 of the whole name
/// (an unescaped `%-` never occurs otherwise).
pub(crate) fn student_id(name: &OsStr) -> String {
    let mut id = String::new();
    for chunk in name.as_bytes().utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '%' || is_hidden(c) {
                percent(&mut id, c.encode_utf8(&mut [0; 4]).as_bytes());
            } else {
                id.push(c);
            }
        }
        percent(&mut id, chunk.invalid());
    }
    if id.len() <= NAME_MAX {
        return id;
    }
    // Cut at a character, never inside a `%XX`.
    let bytes = id.as_bytes();
    let mut cut = 180;
    while !id.is_char_boundary(cut) || bytes[cut - 1] == b'%' || bytes[cut - 2] == b'%' {
        cut -= 1;
    }
    format!("{}%-{:x}", &id[..cut], Sha256::digest(name.as_bytes()))
}

fn percent(out: &mut String, bytes: &[u8]) {
    for byte in bytes {
        let _ = write!(out, "%{byte:02X}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_and_plain_text_stays() {
        assert_eq!(visible("alice"), "alice");
        assert_eq!(visible("caf\u{e9} \u{1f433}"), "caf\u{e9} \u{1f433}");
        assert_eq!(visible("a\nb\rc\td"), "a\\nb\\rc\\td");
        assert_eq!(visible("\x1b[31mred\x1b[0m"), "\\u{1b}[31mred\\u{1b}[0m");
        assert_eq!(visible("\x00\x07\x7f\u{85}\u{9b}"), "\\0\\u{7}\\u{7f}\\u{85}\\u{9b}");
        assert_eq!(visible("abc\u{202e}fed"), "abc\\u{202e}fed");
    }

    #[test]
    fn cells_a_spreadsheet_would_run_are_neutralised() {
        for formula in ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"http://x\")"] {
            assert_eq!(csv_cell(formula), format!("'{formula}"), "{formula:?}");
        }
        for plain in ["alice", "7", "", "a=b", "1 shell found (shell): /bin/sh", "'quoted"] {
            assert_eq!(csv_cell(plain), plain);
        }
    }

    #[test]
    fn github_text_can_neither_end_a_command_nor_forge_one() {
        assert_eq!(github_data("50% done\r\n::error::forged"), "50%25 done%0D%0A::error::forged");
        assert_eq!(github_data("\x1b[1mbold"), "\\u{1b}[1mbold");
        assert_eq!(github_property("a,b:c/Dockerfile"), "a%2Cb%3Ac/Dockerfile");
        assert!(!github_property("x::error file=x,y").contains([':', ',']));
    }

    #[test]
    fn html_escapes_markup_and_controls() {
        assert_eq!(html("<script>alert('x')</script> & \"y\""), "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;y&quot;");
        assert_eq!(html("a\x1b[2Jb"), "a\\u{1b}[2Jb");
    }

    #[test]
    fn student_ids_are_readable_and_never_collide() {
        let id = |bytes: &[u8]| student_id(OsStr::from_bytes(bytes));
        assert_eq!(id(b"alice"), "alice");
        assert_eq!(id("zo\u{eb} m\u{fc}ller".as_bytes()), "zo\u{eb} m\u{fc}ller");
        assert_eq!(id(b"caf\xe9"), "caf%E9");
        assert_eq!(id(b"caf\xe8"), "caf%E8");
        assert_eq!(id(b"caf%E9"), "caf%25E9", "a literal % is escaped too, so the two cannot meet");
        assert_eq!(id(b"bob\n::error::x"), "bob%0A::error::x");
        assert_eq!(id(b"\x1b[31mred"), "%1B[31mred");
        assert_eq!(id("rtl\u{202e}txt".as_bytes()), "rtl%E2%80%AEtxt");
        let long_a = id(&[0xff; 255]);
        let long_b = id(&[[0xff; 254].as_slice(), &[0xfe]].concat());
        assert!(long_a.len() <= NAME_MAX && long_b.len() <= NAME_MAX, "{}", long_a.len());
        assert_ne!(long_a, long_b);
        assert!(long_a.contains("%-") && !long_a.contains('\u{fffd}'));
    }
}
