//! Finding where each record starts and ends in a JSON array or NDJSON text without parsing
//! it, so the file reader can stream files of any size in bounded memory.

use std::ops::Range;

/// How records are laid out in a body or file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One JSON array of records, possibly on a single multi-megabyte line.
    Array,
    /// Records one after another, usually one per line (NDJSON).
    Lines,
}

impl Layout {
    /// Tells the layout from the first non-blank byte of the content.
    pub fn detect(first: u8) -> Option<Layout> {
        match first {
            b'[' => Some(Layout::Array),
            b'{' => Some(Layout::Lines),
            _ => None,
        }
    }
}

/// What the scanner found next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A complete record's text, as positions in the buffer.
    Item(Range<usize>),
    /// The content is complete: the array closed, or the lines ended.
    End,
    /// The buffer ends inside a record or before the next one; give it more bytes.
    NeedMore,
}

/// Where and why the layout itself is broken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanError {
    /// Position in the scanned buffer.
    pub pos: usize,
    /// What is wrong with the layout, for the error message.
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Start,
    First,
    AfterItem,
    AfterComma,
    Done,
}

/// Finds record boundaries without parsing the records, so a file of any size is read in
/// bounded memory and each record is handed to serde on its own.
///
/// The scanner only tracks nesting and strings; the records themselves are checked by
/// [`crate::record::parse_record`].
#[derive(Clone, Debug)]
pub struct Scanner {
    layout: Layout,
    state: State,
}

impl Scanner {
    /// A scanner at the very start of the content.
    pub fn new(layout: Layout) -> Self {
        Scanner {
            layout,
            state: State::Start,
        }
    }

    /// A scanner positioned just after a record, where an earlier run stopped.
    pub fn after_item(layout: Layout) -> Self {
        Scanner {
            layout,
            state: State::AfterItem,
        }
    }

    /// Looks for the next record in `buf` from `*pos`, advancing `*pos` past what it consumed.
    /// `eof` says that `buf` holds everything there is.
    pub fn next(&mut self, buf: &[u8], pos: &mut usize, eof: bool) -> Result<Step, ScanError> {
        match self.layout {
            Layout::Array => self.next_in_array(buf, pos, eof),
            Layout::Lines => self.next_line(buf, pos, eof),
        }
    }

    fn next_line(&mut self, buf: &[u8], pos: &mut usize, eof: bool) -> Result<Step, ScanError> {
        *pos = skip_blank(buf, *pos);
        if *pos >= buf.len() {
            return Ok(if eof { Step::End } else { Step::NeedMore });
        }
        self.item(buf, pos, eof)
    }

    fn next_in_array(&mut self, buf: &[u8], pos: &mut usize, eof: bool) -> Result<Step, ScanError> {
        loop {
            *pos = skip_blank(buf, *pos);
            let Some(&byte) = buf.get(*pos) else {
                return match (self.state, eof) {
                    (State::Done, true) => Ok(Step::End),
                    (_, false) => Ok(Step::NeedMore),
                    (State::Start, true) => {
                        Err(error(*pos, "empty content: expected a JSON array"))
                    }
                    (_, true) => Err(error(
                        *pos,
                        "the JSON array is not closed: the content ends before `]` (truncated?)",
                    )),
                };
            };
            match (self.state, byte) {
                (State::Start, b'[') => {
                    *pos += 1;
                    self.state = State::First;
                }
                (State::Start, _) => return Err(error(*pos, "expected `[` to open a JSON array")),
                (State::First, b']') | (State::AfterItem, b']') => {
                    *pos += 1;
                    self.state = State::Done;
                }
                (State::AfterItem, b',') => {
                    *pos += 1;
                    self.state = State::AfterComma;
                }
                (State::AfterItem, _) => {
                    return Err(error(*pos, "expected `,` or `]` after a record"));
                }
                (State::AfterComma, b']') => {
                    return Err(error(
                        *pos,
                        "a `,` must be followed by another record, not `]`",
                    ));
                }
                (State::First | State::AfterComma, _) => {
                    let step = self.item(buf, pos, eof)?;
                    if matches!(step, Step::Item(_)) {
                        self.state = State::AfterItem;
                    }
                    return Ok(step);
                }
                (State::Done, _) => {
                    return Err(error(*pos, "unexpected content after the closing `]`"));
                }
            }
        }
    }

    fn item(&mut self, buf: &[u8], pos: &mut usize, eof: bool) -> Result<Step, ScanError> {
        let start = *pos;
        match value_end(buf, start, eof)? {
            Some(end) => {
                *pos = end;
                Ok(Step::Item(start..end))
            }
            None if eof => Err(error(
                start,
                "the content ends inside a record (truncated?)",
            )),
            None => Ok(Step::NeedMore),
        }
    }
}

fn skip_blank(buf: &[u8], mut pos: usize) -> usize {
    while pos < buf.len() && matches!(buf[pos], b' ' | b'\n' | b'\r' | b'\t') {
        pos += 1;
    }
    pos
}

fn error(pos: usize, message: &str) -> ScanError {
    ScanError {
        pos,
        message: message.to_string(),
    }
}

/// The end of the JSON value starting at `start`, or `None` when the buffer ends first.
fn value_end(buf: &[u8], start: usize, eof: bool) -> Result<Option<usize>, ScanError> {
    match buf[start] {
        b'{' | b'[' => Ok(container_end(buf, start)),
        b'"' => Ok(string_end(buf, start + 1)),
        b',' | b']' | b'}' | b':' => Err(ScanError {
            pos: start,
            message: format!("expected a record, found `{}`", buf[start] as char),
        }),
        _ => {
            let len = buf[start..].iter().position(|b| {
                matches!(
                    b,
                    b',' | b']' | b'}' | b'[' | b'{' | b' ' | b'\n' | b'\r' | b'\t'
                )
            });
            Ok(match len {
                Some(len) => Some(start + len),
                None if eof => Some(buf.len()),
                None => None,
            })
        }
    }
}

fn container_end(buf: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i < buf.len() {
        match buf[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'"' => {
                i = string_end(buf, i + 1)?;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The position after the closing quote of a string whose content starts at `from`.
fn string_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < buf.len() {
        match buf[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(layout: Layout, text: &str) -> Result<Vec<String>, ScanError> {
        let mut scanner = Scanner::new(layout);
        let mut pos = 0;
        let mut out = Vec::new();
        loop {
            match scanner.next(text.as_bytes(), &mut pos, true)? {
                Step::Item(r) => out.push(text[r].to_string()),
                Step::End => return Ok(out),
                Step::NeedMore => panic!("NeedMore at eof"),
            }
        }
    }

    #[test]
    fn splits_an_array() {
        let got = items(
            Layout::Array,
            r#" [ {"a": "x,}]"}, {"b": [1, {"c": 2}]} ] "#,
        )
        .unwrap();
        assert_eq!(got, vec![r#"{"a": "x,}]"}"#, r#"{"b": [1, {"c": 2}]}"#]);
    }

    #[test]
    fn splits_lines() {
        let got = items(Layout::Lines, "{\"a\": 1}\n\n{\"b\": \"\\\"}\"}\n").unwrap();
        assert_eq!(got, vec![r#"{"a": 1}"#, r#"{"b": "\"}"}"#]);
    }

    #[test]
    fn empty_array_has_no_items() {
        assert!(items(Layout::Array, "[ ]").unwrap().is_empty());
    }

    #[test]
    fn refuses_broken_layouts() {
        for (text, needle) in [
            ("[{\"a\":1},]", "followed by another record"),
            ("[{\"a\":1} {\"b\":2}]", "expected `,` or `]`"),
            ("[{\"a\":1}", "not closed"),
            ("[{\"a\":1", "ends inside a record"),
            ("[{\"a\":1}] x", "after the closing"),
            ("[,]", "expected a record"),
            ("", "empty content"),
        ] {
            let err = items(Layout::Array, text).unwrap_err();
            assert!(err.message.contains(needle), "{text:?}: {err:?}");
        }
    }

    #[test]
    fn asks_for_more_inside_a_record() {
        let mut scanner = Scanner::new(Layout::Array);
        let mut pos = 0;
        let text = b"[{\"a\": 1}, {\"b\"";
        assert_eq!(
            scanner.next(text, &mut pos, false).unwrap(),
            Step::Item(1..9)
        );
        let before = pos;
        assert_eq!(scanner.next(text, &mut pos, false).unwrap(), Step::NeedMore);
        assert!(pos > before, "the comma was consumed");
        let longer = b"[{\"a\": 1}, {\"b\": 2}]";
        assert_eq!(
            scanner.next(longer, &mut pos, false).unwrap(),
            Step::Item(11..19)
        );
        assert_eq!(
            scanner.next(longer, &mut pos, false).unwrap(),
            Step::NeedMore
        );
        assert_eq!(scanner.next(longer, &mut pos, true).unwrap(), Step::End);
    }

    #[test]
    fn resumes_after_an_item() {
        let text = b"[{\"a\": 1}, {\"b\": 2}]";
        let mut scanner = Scanner::after_item(Layout::Array);
        let mut pos = 9;
        assert_eq!(
            scanner.next(text, &mut pos, true).unwrap(),
            Step::Item(11..19)
        );
    }
}
