//! Differential test of the operand validators against PostgreSQL 15 (issue 10, section 4).
//!
//! For every operand type, a few hundred strings (hand-picked edge cases plus seeded random
//! ones: case, separators, braces, compression, offsets, precisions, bounds, whitespace,
//! signs, overflow, leap days and seconds, 24:00, years 0 and 10000+, unicode digits, empty)
//! are compiled as `{"<field>": {"eq": s}}` and cast by the server (`s::type`, one round trip
//! per type and session setting, errors caught in a PL/pgSQL function). The rules:
//!
//! - accepted by us ⇒ the server accepts it, reads our canonical parameter as the same value
//!   (`s::t = canon::t`), the canonical text is the server's own output where documented, and
//!   the value does not change with `DateStyle` or `TimeZone`;
//! - refused as invalid ⇒ the server rejects it under every session setting tried;
//! - refused for a documented reason (`refused (<tag>)`, docs/query-ast.md "Operand formats")
//!   ⇒ the server rejects it, or the reason is checked: `datestyle` = the value changes with
//!   `DateStyle`, `timezone` = it changes with `TimeZone`, `infinite` = the server reads
//!   infinity, `year-range` = a year outside 1..9999, `clock`, `zone-name`, `locale`,
//!   `nesting` = the text holds what the reason names.
//!
//! `FQB_OPERAND_CASES` sets the random strings per type (default 1000), `FQB_OPERAND_SEED` the
//! seed (default fixed), e.g. `FQB_OPERAND_CASES=20000 FQB_OPERAND_SEED=$RANDOM cargo test -p
//! qb-testpg --test operand_formats -- --nocapture`.
#![allow(clippy::unwrap_used)]

use postgres::Client;
use qb_core::{CompileOptions, Query, Schema, Value};
use qb_testpg::client;

const DEFAULT_CASES: usize = 1000;
const DEFAULT_SEED: u64 = 0x005e_ed0f_0a7e;

// ------------------------------------------------------------------ seeded generation

struct Rng(u64);

impl Rng {
    /// splitmix64
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn digits_below(&mut self, max: usize) -> String {
        let n = self.below(max);
        self.digits(n)
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
    fn hex(&mut self, n: usize) -> String {
        const H: &[u8] = b"0123456789abcdefABCDEF";
        (0..n).map(|_| char::from(H[self.below(H.len())])).collect()
    }
}

/// Random small edits: the way a valid string turns into a near miss.
fn mutate(r: &mut Rng, s: &str, alphabet: &[&str]) -> String {
    let mut chars: Vec<String> = s.chars().map(String::from).collect();
    for _ in 0..=r.below(2) {
        let at = if chars.is_empty() {
            0
        } else {
            r.below(chars.len() + 1)
        };
        match r.below(8) {
            0 | 1 => chars.insert(at, r.pick(alphabet).to_owned()),
            2 if !chars.is_empty() => {
                chars.remove(at.min(chars.len() - 1));
            }
            3 if !chars.is_empty() => {
                let i = at.min(chars.len() - 1);
                chars[i] = r.pick(alphabet).to_owned();
            }
            4 => chars.insert(at, r.pick(&[" ", "\t", "\n", "  "]).to_owned()),
            5 => {
                chars = chars
                    .into_iter()
                    .map(|c| {
                        if c.len() == 1 && r.chance(50) {
                            if c.chars().all(|x| x.is_ascii_lowercase()) {
                                c.to_ascii_uppercase()
                            } else {
                                c.to_ascii_lowercase()
                            }
                        } else {
                            c
                        }
                    })
                    .collect()
            }
            6 if !chars.is_empty() => {
                let i = at.min(chars.len() - 1);
                let c = chars[i].clone();
                chars.insert(i, c);
            }
            _ => chars.truncate(at),
        }
    }
    chars.concat()
}

#[rustfmt::skip]
const UNICODE_DIGITS: &[&str] = &[
    "٣", "２", "۵", "१", "𝟘", "Ⅻ", "é", "ß", "\u{a0}", "\u{200b}",
];

// ------------------------------------------------------------------ generators per type

fn year(r: &mut Rng) -> String {
    match r.below(10) {
        0 => r
            .pick(&[
                "0", "00", "0000", "1", "01", "0001", "69", "70", "99", "100",
            ])
            .into(),
        1 => r
            .pick(&[
                "9999", "10000", "99999", "294276", "294277", "5874897", "5874898",
            ])
            .into(),
        2 => {
            let n = r.below(3) + 1;
            r.digits(n)
        }
        _ => format!("{}", r.range(1900, 2100)),
    }
}

fn month(r: &mut Rng) -> String {
    match r.below(8) {
        0 => r
            .pick(&[
                "jan", "Feb", "MAR", "april", "May", "JUNE", "jul", "aug", "Sept", "oct", "nov",
                "December", "foo",
            ])
            .into(),
        1 => r.pick(&["0", "00", "13", "1", "9"]).into(),
        _ => format!("{:02}", r.range(1, 12)),
    }
}

fn day(r: &mut Rng) -> String {
    match r.below(8) {
        0 => r
            .pick(&["0", "00", "29", "30", "31", "32", "1", "366"])
            .into(),
        _ => format!("{:02}", r.range(1, 28)),
    }
}

fn date_text(r: &mut Rng) -> String {
    let (y, m, d) = (year(r), month(r), day(r));
    let sep = r.pick(&["-", "-", "-", "/", ".", " ", ""]);
    let mut s = match r.below(12) {
        0..=4 => format!("{y}{sep}{m}{sep}{d}"),
        5 => format!("{m}{sep}{d}{sep}{y}"),
        6 => format!("{d}{sep}{m}{sep}{y}"),
        7 => format!("{m} {d}, {y}"),
        8 => format!("{y}.{}", r.range(0, 400)),
        9 => format!("J{}", r.range(0, 5_400_000)),
        10 => r
            .pick(&[
                "epoch",
                "infinity",
                "-infinity",
                "today",
                "now",
                "tomorrow",
                "yesterday",
                "allballs",
                "Infinity",
                "+infinity",
            ])
            .into(),
        _ => format!("{y}{:02}{:02}", r.range(0, 13), r.range(0, 32)),
    };
    if r.chance(8) {
        s.push_str(r.pick(&[" BC", " AD", " bc", "BC"]));
    }
    s
}

fn time_text(r: &mut Rng) -> String {
    let h = match r.below(10) {
        0 => r.pick(&["24", "25", "0", "00", "12", "23"]).to_owned(),
        _ => format!("{:02}", r.range(0, 23)),
    };
    let mi = if r.chance(10) {
        r.pick(&["60", "0", "5", "59"]).to_owned()
    } else {
        format!("{:02}", r.range(0, 59))
    };
    let sec = match r.below(10) {
        0 => r.pick(&["60", "61", "59", "0"]).to_owned(),
        _ => format!("{:02}", r.range(0, 59)),
    };
    let frac = match r.below(5) {
        0 => format!(".{}", r.digits_below(13)),
        1 => r
            .pick(&[".9999995", ".0000005", ".5", ".", ".999999"])
            .into(),
        _ => String::new(),
    };
    let mut s = match r.below(8) {
        0 => format!("{h}:{mi}"),
        1 => format!("{h}{mi}{sec}{frac}"),
        2 => format!("{mi}:{sec}{frac}"),
        _ => format!("{h}:{mi}:{sec}{frac}"),
    };
    if r.chance(8) {
        s.push_str(r.pick(&[" am", " pm", "AM", " PM"]));
    }
    s
}

fn offset(r: &mut Rng) -> String {
    let sign = r.pick(&["+", "-"]);
    match r.below(16) {
        0..=2 => r
            .pick(&["Z", "z", "UTC", "GMT", " UTC", " zulu", "UT", "uct"])
            .into(),
        3 => format!("{sign}{:02}", r.range(0, 16)),
        4 => format!("{sign}{:02}{:02}", r.range(0, 15), r.range(0, 60)),
        5 => format!("{sign}{}:{}", r.range(0, 16), r.range(0, 60)),
        6 => format!(
            "{sign}{:02}:{:02}:{:02}",
            r.range(0, 15),
            r.range(0, 59),
            r.range(0, 60)
        ),
        7 => format!(" {sign}{:02}", r.range(0, 14)),
        8 => r
            .pick(&[
                " PST",
                " EST",
                " CET",
                " Europe/Paris",
                " America/New_York",
                " utc+3",
                " EST5EDT",
                " MSK",
                " dst",
                "+01 dst",
                " foo",
            ])
            .into(),
        9 | 10 => String::new(),
        _ => format!("{sign}{:02}:{:02}", r.range(0, 14), [0, 30, 45][r.below(3)]),
    }
}

/// A random run of date/time tokens: explores the decoder's less travelled paths
/// (`y2001m02d04`, `J2451187.5`, `t` with run-together times, words, `dst`, AM/PM, …).
fn datetime_soup(r: &mut Rng) -> String {
    const WORDS: &[&str] = &[
        "y",
        "m",
        "d",
        "h",
        "mm",
        "s",
        "j",
        "jd",
        "julian",
        "t",
        "T",
        "dow",
        "isoyear",
        "at",
        "on",
        "am",
        "pm",
        "ad",
        "bc",
        "dst",
        "epoch",
        "infinity",
        "-infinity",
        "allballs",
        "z",
        "zulu",
        "utc",
        "jan",
        "feb",
        "sept",
        "Sat",
        "monday",
        "thurs",
        "now",
        "today",
        "est",
        "foo",
    ];
    let n = r.range(1, 7);
    let mut out = String::new();
    for i in 0..n {
        if i > 0 || r.chance(10) {
            out.push_str(r.pick(&[" ", " ", "", "-", "/", ".", ":", ",", "  ", "T"]));
        }
        let tok = match r.below(9) {
            0 | 1 => r.pick(WORDS).to_owned(),
            2 => {
                let n = r.range(1, 9) as usize;
                r.digits(n)
            }
            3 => format!("{}.{}", r.digits_below(9), r.digits_below(4)),
            4 => time_text(r),
            5 => offset(r),
            6 => format!("{}{}", r.pick(WORDS), r.digits_below(8)),
            7 => date_text(r),
            _ => format!("{}{}", r.pick(&["+", "-"]), r.digits_below(6)),
        };
        out.push_str(&tok);
    }
    out
}

fn timestamptz_text(r: &mut Rng) -> String {
    if r.chance(20) {
        return datetime_soup(r);
    }
    let d = date_text(r);
    let t = time_text(r);
    let sep = r.pick(&["T", " ", "t", "  ", "T", " "]);
    let mut s = match r.below(10) {
        0 => d,
        1 => format!("{t} {d}"),
        _ => format!("{d}{sep}{t}"),
    };
    s.push_str(&offset(r));
    s
}

fn uuid_text(r: &mut Rng) -> String {
    let n = match r.below(10) {
        0 => r.range(28, 34) as usize,
        _ => 32,
    };
    let hex = r.hex(n);
    let mut s = String::new();
    let style = r.below(4);
    for (i, c) in hex.chars().enumerate() {
        if i > 0 {
            let dash = match style {
                0 => matches!(i, 8 | 12 | 16 | 20),
                1 => i % 4 == 0 && r.chance(50),
                2 => r.chance(5),
                _ => false,
            };
            if dash {
                s.push('-');
            }
        }
        s.push(c);
    }
    match r.below(8) {
        0 => format!("{{{s}}}"),
        1 => format!("{{{s}"),
        2 => format!("{s}}}"),
        _ => s,
    }
}

fn ipv4(r: &mut Rng) -> String {
    let n = match r.below(8) {
        0 => r.range(1, 5) as usize,
        _ => 4,
    };
    let mut parts: Vec<String> = (0..n)
        .map(|_| match r.below(10) {
            0 => r.pick(&["256", "300", "00", "010", "0", "255"]).to_owned(),
            _ => r.range(0, 255).to_string(),
        })
        .collect();
    if r.chance(5) {
        parts = vec![format!("0x{}", {
            let n = r.below(9) + 1;
            r.hex(n)
        })];
    }
    let mut s = parts.join(".");
    if r.chance(5) {
        s.push('.');
    }
    s
}

fn ipv6(r: &mut Rng) -> String {
    let n = r.range(1, 9) as usize;
    let mut groups: Vec<String> = (0..n)
        .map(|_| {
            let len = if r.chance(5) {
                5
            } else {
                r.range(0, 4) as usize
            };
            if len == 0 && r.chance(50) {
                "0".into()
            } else {
                r.hex(len.max(1))
            }
        })
        .collect();
    if r.chance(50) {
        let at = r.below(groups.len() + 1);
        groups.insert(at, String::new());
        if at == 0 || at == groups.len() - 1 {
            groups.insert(at, String::new());
        }
    }
    let mut s = groups.join(":");
    if r.chance(15) {
        s.push(':');
        s.push_str(&ipv4(r));
    }
    s
}

fn inet_text(r: &mut Rng) -> String {
    let mut s = if r.chance(55) { ipv4(r) } else { ipv6(r) };
    if r.chance(45) {
        let bits = match r.below(6) {
            0 => r
                .pick(&["33", "129", "08", "0", "", "128", "4294967304"])
                .to_owned(),
            _ => r.range(0, 32).to_string(),
        };
        s.push('/');
        s.push_str(&bits);
    }
    s
}

fn macaddr_text(r: &mut Rng) -> String {
    let octet = |r: &mut Rng| match r.below(12) {
        0 => r
            .pick(&["0x8", "+1", "-0", "100", "fff", "g0", "0", "08", "-1", "0x"])
            .to_owned(),
        _ => r.hex(2),
    };
    let o: Vec<String> = (0..6).map(|_| octet(r)).collect();
    match r.below(9) {
        0 => o.join(":"),
        1 => o.join("-"),
        2 => format!("{}{}{}:{}{}{}", o[0], o[1], o[2], o[3], o[4], o[5]),
        3 => format!("{}{}{}-{}{}{}", o[0], o[1], o[2], o[3], o[4], o[5]),
        4 => format!("{}{}.{}{}.{}{}", o[0], o[1], o[2], o[3], o[4], o[5]),
        5 => format!("{}{}-{}{}-{}{}", o[0], o[1], o[2], o[3], o[4], o[5]),
        6 => o.concat(),
        7 => format!(" {} ", o.join(":")),
        _ => o[..r.range(4, 6) as usize].join(r.pick(&[":", "-", "."])),
    }
}

fn label(r: &mut Rng) -> String {
    const A: &[&str] = &[
        "a", "Z", "9", "_", "x", "top", "Science", "-", "é", " ", "@",
    ];
    let len = match r.below(20) {
        0 => [255usize, 256, 0][r.below(3)],
        _ => r.range(1, 6) as usize,
    };
    if len > 6 {
        return "a".repeat(len);
    }
    (0..len)
        .map(|_| {
            if r.chance(90) {
                r.pick(&["a", "b", "Z", "9", "_", "top", "sci"])
            } else {
                r.pick(A)
            }
        })
        .collect()
}

fn ltree_text(r: &mut Rng) -> String {
    let n = r.below(5);
    let labels: Vec<String> = (0..n).map(|_| label(r)).collect();
    labels.join(".")
}

fn lquery_text(r: &mut Rng) -> String {
    let n = r.range(1, 4) as usize;
    let levels: Vec<String> = (0..n)
        .map(|_| match r.below(6) {
            0 => "*".into(),
            1 => format!(
                "*{{{}}}",
                r.pick(&[
                    "1",
                    "1,2",
                    ",2",
                    "2,",
                    ",",
                    "2,1",
                    "65536",
                    "4294967297",
                    ""
                ])
            ),
            _ => {
                let alts = r.range(1, 3) as usize;
                let mut s = if r.chance(20) {
                    "!".to_owned()
                } else {
                    String::new()
                };
                let parts: Vec<String> = (0..alts)
                    .map(|_| {
                        let mut l = label(r);
                        if r.chance(30) {
                            l.push_str(r.pick(&["@", "*", "%", "@*", "%@*"]));
                        }
                        l
                    })
                    .collect();
                s.push_str(&parts.join("|"));
                if r.chance(15) {
                    s.push_str(r.pick(&["{1}", "{1,}", "{,3}", "{2,1}"]));
                }
                s
            }
        })
        .collect();
    levels.join(".")
}

fn ltxtquery_text(r: &mut Rng) -> String {
    let mut s = String::new();
    let n = r.range(1, 4);
    for i in 0..n {
        if i > 0 {
            s.push_str(r.pick(&[" & ", "|", " | ", "&", " ", "\t&\t", " &  "]));
        }
        if r.chance(20) {
            s.push('!');
        }
        let paren = r.chance(15);
        if paren {
            s.push('(');
        }
        s.push_str(&label(r));
        if r.chance(25) {
            s.push_str(r.pick(&["@", "*", "%", "@*%"]));
        }
        if paren && r.chance(90) {
            s.push(')');
        }
    }
    s
}

fn daterange_text(r: &mut Rng) -> String {
    if r.chance(5) {
        return r
            .pick(&["empty", "EMPTY", " empty ", "empty x", "[,)", "(,)", "[,]"])
            .into();
    }
    let bound = |r: &mut Rng| match r.below(8) {
        0 => String::new(),
        1 => format!("\"{}\"", date_text(r)),
        2 => r
            .pick(&[
                "infinity",
                "-infinity",
                " 2024-01-01 ",
                "\"\"",
                "2024\\-01-01",
            ])
            .into(),
        _ => {
            let d = r.range(1, 28);
            format!("2024-{:02}-{d:02}", r.range(1, 12))
        }
    };
    let (lo, hi) = (bound(r), bound(r));
    let open = r.pick(&["[", "(", "[", " [", "{"]);
    let close = r.pick(&[")", "]", ")", ") ", "}"]);
    let comma = r.pick(&[",", ",", ",", ";", ",,"]);
    format!("{open}{lo}{comma}{hi}{close}")
}

fn numeric_text(r: &mut Rng) -> String {
    let mut s = String::new();
    match r.below(14) {
        0 => {
            return r
                .pick(&[
                    "NaN",
                    "nan",
                    "Infinity",
                    "-Infinity",
                    "+inf",
                    "-INF",
                    "infinit",
                    "inf x",
                    " NaN ",
                    "+NaN",
                    "Inf",
                ])
                .into();
        }
        1 => {
            return r
                .pick(&[
                    "1e131071",
                    "1e131072",
                    "9.9e131071",
                    "1e-16383",
                    "1e-16384",
                    "0e-16384",
                    "1e1001",
                    "1e-1001",
                    "1e1073741823",
                    "1e 5",
                    "1e+ 5",
                    "1_000",
                    "0x1F",
                    "1,5",
                ])
                .into();
        }
        _ => {}
    }
    if r.chance(30) {
        s.push_str(r.pick(&["-", "+", " ", "  -", "- "]));
    }
    s.push_str(&r.digits_below(25));
    if r.chance(50) {
        s.push('.');
        s.push_str(&r.digits_below(12));
    }
    if r.chance(25) {
        s.push_str(r.pick(&["e", "E"]));
        s.push_str(r.pick(&["", "+", "-"]));
        s.push_str(&r.digits_below(6));
    }
    if r.chance(10) {
        s.push_str(r.pick(&[" ", "\t", "x", "."]));
    }
    s
}

fn integer_text(r: &mut Rng) -> String {
    match r.below(8) {
        0 => r
            .pick(&[
                "9223372036854775807",
                "9223372036854775808",
                "-9223372036854775808",
                "-9223372036854775809",
                "+",
                "-",
                "",
                "1.0",
                "1e3",
                "0x10",
                "1_000",
                "- 1",
                "٣",
            ])
            .into(),
        _ => {
            let mut s = String::new();
            if r.chance(25) {
                s.push_str(r.pick(&["-", "+", " ", "\t"]));
            }
            s.push_str(&{
                let n = r.range(1, 20) as usize;
                r.digits(n)
            });
            if r.chance(10) {
                s.push_str(r.pick(&[" ", "\n", "x", "."]));
            }
            s
        }
    }
}

fn boolean_text(r: &mut Rng) -> String {
    let word = r.pick(&[
        "true", "false", "yes", "no", "on", "off", "1", "0", "10", "nope", "o", "",
    ]);
    let n = if word.is_empty() {
        0
    } else {
        r.range(1, word.len() as i64) as usize
    };
    let mut s = word[..n].to_owned();
    if r.chance(40) {
        s = s.to_ascii_uppercase();
    }
    if r.chance(20) {
        s = format!(
            "{}{s}{}",
            r.pick(&[" ", "\t", ""]),
            r.pick(&[" ", "\n", "x", ""])
        );
    }
    s
}

// ------------------------------------------------------------------ the types under test

struct Case {
    /// SQL type.
    ty: &'static str,
    /// Registry field type.
    field_type: &'static str,
    /// Operator the operand is compiled under.
    op: &'static str,
    /// Our canonical text must equal this SQL expression over `x` (when present).
    canon_sql: Option<&'static str>,
    /// The type has `=` (to check that the canonical text is the same value).
    has_eq: bool,
    /// Session settings change its meaning (dates and timestamps).
    session: bool,
    edge: &'static [&'static str],
    generate: fn(&mut Rng) -> String,
    alphabet: &'static [&'static str],
}

#[rustfmt::skip]
const DATE_EDGES: &[&str] = &[
    "2024-02-29", "2023-02-29", "2024-13-01", "2024-00-10", "2024-01-32", "0000-01-01",
    "0001-01-01", "9999-12-31", "10000-01-01", "1999-Jan-08", "Jan-08-1999", "08-Jan-1999",
    "99-Jan-08", "08-Jan-99", "Jan-08-99", "19990108", "990108", "1999.008", "J2451187",
    "January 8, 99 BC", "1/8/1999", "1/18/1999", "01/02/03", "2024-01-01T10:00",
    "2024-01-01 10:00 +02", " 2024-01-01 ", "", " ", "epoch", "infinity", "-infinity", "today",
    "now", "tomorrow", "yesterday", "allballs", "2024-01-01 allballs", "２０２４-01-01",
    "2024-01-01 PST", "2024-01-01 Europe/Paris", "0044-03-15 BC", "4714-11-24 BC", "4714-11-23 BC",
    "5874897-12-31", "5874898-01-01", "2024-1-1", "2024/01/31", "2024.01.31", "31.01.2024",
    "Tue 2024-01-02", "2024-01-02 Tue", "1 jan 2024", "jan 1", "2024-001", "2024 jan 08",
    "Jan 08 99", "2001-02-03 04:05:06 dst", "2024-01-01 10:00 +01 dst", "y2024m01d31",
    "2024-01-01 24:00", "2024-01-01 25:00", "4294968296-01-01", "42949682960101",
    "2024-02-29 at on", "2024-03-01 bc ad",
];

#[rustfmt::skip]
const TIMESTAMP_EDGES: &[&str] = &[
    "2024-01-31T10:00:00Z", "2024-01-31T10:00:00", "2024-01-31 10:00:00.123+02:00",
    "2024-01-31T10:00+0530", "2024-01-31T10:00:00-03", "2024-01-31T10:00:00+15:59:59",
    "2024-01-31T10:00:00+16", "1999-01-08 04:05:06 +5:3", "1999-01-08 04:05:06+05:",
    "1999-01-08 23:59:60z", "1999-01-08 23:59:60.5z", "1999-12-31 24:00:00+00",
    "1999-12-31 24:00:00.000001+00", "1999-01-08 04:05:06.9999995+00",
    "1999-01-08 04:05:59.9999995+00", "1999-01-08 04:05:06.123456789012+00", "2024-01-01 10:+00",
    "2024-01-01 10::30+00", "y2001m02d04 h10mm20s5 utc", "2024-01-01T256000+00",
    "2024-01-01 10:00 y", "J2451187 10:00+00", "j 2451187.5 +00", "2024.032 10:00+00",
    "20240131T103000Z", "20240131 103000.5+0530", "20240131t103000.5-05", "2024-01-01 103000-05",
    "Jan 8 1999 4pm +00", "Jan 8 1999 04:05 GMT", "January 8, 1999 12:00 am UTC",
    "12:00 pm 2024-01-01 z", "10:00 2024-01-01 +00", "epoch", "epoch 2024-01-01",
    "2024-01-01 epoch", "infinity", "-infinity", "2024-01-01 infinity", "now", "today",
    "today 10:00+02", "tomorrow 10:00+02", "yesterday z", "2024-01-01 allballs", "allballs",
    "2024-01-01 00:00 allballs", "0001-01-01T00:00:00Z", "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:59:59.999999Z", "9999-12-31T23:30:00-01:00", "10000-01-01T00:00:00Z",
    "0044-03-15 BC 10:00+00", "294276-12-31 23:59:59+00", "294277-01-01 00:00:00+00",
    "4714-11-24 00:00:00+00 BC", "2024-01-01 10:00 PST", "2024-01-01 10:00 America/New_York",
    "2024-01-01 10:00 EST5EDT", "2024-01-01 10:00 utc+3", "2024-01-01 10:00 MSK",
    "2024-01-01T10:00:00ZZ", "2024-01-01T10:00:00+02:00 +03", "01/02/03 10:00+00",
    "2024-01-01 10:00 dst", "2024-01-01 10:00+00 dst", "2024-01-01 10:00 dst +01",
    "2024-01-01 10:00 +01 dst", "2024-01-01 10:00+00 dow", "2024-01-01 10:00+00 at on",
    "Sat, 06 Jan 2024 10:00:00 +0000", "２０２４-01-01T10:00Z", "2024-01-01T10:00Z ",
    " 2024-01-01T10:00Z", "", "2024-01-01T10:00:00.Z", "2024-01-01T10:00:00.5.5Z",
    "2024-02-30T10:00Z", "2024-01-01T10:00:00-", "2024-01-01T1:2:3Z", "2024-01-01T10.5Z",
    "2024-01-01 10:30.5 z",
];

#[rustfmt::skip]
const UUID_EDGES: &[&str] = &[
    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
    "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", "a0eebc999c0b4ef8bb6d6bb9bd380a11",
    "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-", "-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111", " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11",
    "00000000-0000-0000-0000-000000000000", "", "{}", "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
];

#[rustfmt::skip]
const INET_EDGES: &[&str] = &[
    "10.0.0.1", "10.0.0.1/32", "10.0.0.1/8", "10.1/16", "10/8", "1.2.3.4.", "1.2.3.", "1.2.3",
    "256.0.0.1", "010.0.0.1", "10.0.0.1/33", "10.0.0.1/", "10.0.0.1/08", "0x0a", "0x0a000001",
    "192.168", "224", "240.1", "::", "::1", "::1.2", "::ffff:1.2.3.4", "::1.2.3.4",
    "1:0:0:1:0:0:0:1", "FE80::1/64", "fe80::1/064", "::1/128", "::1/129", "1::2::3", ":1",
    "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "12345::",
    "::01.2.3.4", "::1.2.3.4/64", "::1..2", "2001:db8::/32", " 10.0.0.1", "10.0.0.1 ", "",
    "1.2.3.4/4294967304", "10.0.0.0/0", "0.0.0.0/0",
];

#[rustfmt::skip]
const MAC_EDGES: &[&str] = &[
    "08:00:2b:01:02:03", "08-00-2b-01-02-03", "08002b:010203", "08002b-010203", "0800.2b01.0203",
    "0800-2b01-0203", "08002b010203", "08:00:2B:01:02:03", " 08:00:2b:01:02:03 ", "8:0:2b:1:2:3",
    "0x8:+0:-0:1:2:3", "100000000:0:0:0:0:0", "-1:0:0:0:0:0", "08:00:2b:01:02",
    "08:00:2b:01:02:03:04", "0800.2b01-0203", "08002b01020", "08002b0102030", "08: 00:2b:01:02:03",
    "08 :00:2b:01:02:03", "", "08:00:2b:01:02:03x", "08:00:2b:01:02:0x", "0x:0:0:0:0:0",
    "08:00:2b:01:02:03 x", "08.00.2b.01.02.03", "0800:2b01:0203",
];

#[rustfmt::skip]
const LTREE_EDGES: &[&str] = &[
    "", "top", "top.science", "top..science", ".top", "top.", "top.sci-ence", "top.sci ence",
    " top", "top ", "Top_1.X", "é", "top.é", "a.b.c.d.e.f",
];

#[rustfmt::skip]
const LQUERY_EDGES: &[&str] = &[
    "*", "*.a", "a.*", "*{1}", "*{1,2}.a", "*{,}", "*{,2}", "a{2,}", "a{2,1}", "!a|b@*%", "a**",
    "top.*", "*.science.*", "a|b|c.d", "", "a.", ".a", "a|!b", "a@b", "!@", "*{2,1}", "a{", "*a",
    "a b", "a||b", "*{65535}", "*{65536}", "*{4294967297}", "!", "a|", "é",
];

#[rustfmt::skip]
const LTXTQUERY_EDGES: &[&str] = &[
    " a", "a ", "a  &  b", "!a", "!!a", "(a)", "a|b", "a & (b | !c)", "a@*%", "", "a\tb", "a@b",
    "a b", "a &", "()", "a)", "(a", "|a", "a & !", "é", "a\t& b", "a &\tb",
];

#[rustfmt::skip]
const RANGE_EDGES: &[&str] = &[
    "[2024-01-01,2024-02-01)", " [2024-01-01,2024-01-31] ", "(2024-01-01,2024-02-01)",
    "(,2024-02-01]", "[,)", "[,]", "(,)", "[2024-01-01,2024-01-01)", "(2024-01-01,2024-01-02)",
    "[2024-01-01,2024-01-01]", "EMPTY", "empty", "empty x", "[\"Jan 8, 1999\",infinity)",
    "[0044-03-15 BC,)", "[ 2024-01-01 , 2024-02-01 )", "[2024-02-01,2024-01-01)",
    "[2024-01-01;2024-02-01)", "[2024-01-01,2024-02-01", "[2024-01-01,2024-02-01))",
    "[\"2024-01-01\",\"2024-02-01\")", "[2024\\-01-01,)", "[\"\",)", "[infinity,infinity]",
    "(infinity,infinity)", "[-infinity,infinity)", "[today,)", "[01/02/03,)", "[5874897-12-31,)",
    "(,5874897-12-31]", "[2024-01-01 PST,)", "",
];

#[rustfmt::skip]
const NUMERIC_EDGES: &[&str] = &[
    "0", "-0", "+0", "0.0", "-0.000", "12.50", ".5", "5.", "-.5", "1e3", "1E+3", "1e-3", " 12 ",
    "\t12\n", "12 x", "1e", "e5", ".", "+", "-", "", "12.5.1", "1_000", "0x1F", "NaN", "nan",
    " NaN ", "NaNx", "+NaN", "Infinity", "-Infinity", "+Infinity", "inf", "-inf", "+inf", "INF",
    "infinit", "infinityx", "1e131071", "1e131072", "1e-16383", "1e-16384", "0e-16384", "1e1001",
    "1e1073741822", "1e1073741823", "1e 5", "1e+ 5", "00012.0100", "٣", "１",
];

#[rustfmt::skip]
const INTEGER_EDGES: &[&str] = &[
    "0", "-0", "+42", " 42 ", "\t42\n", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "-9223372036854775809", "", "+", "-", "1.0", "1e3", "- 1", "0x10",
    "1_000", "٣", "42x", "0042",
];

#[rustfmt::skip]
const BOOLEAN_EDGES: &[&str] = &[
    "t", "true", "TRUE", "tru", "truex", "f", "false", "y", "yes", "n", "no", "on", "off", "of",
    "o", "1", "0", "10", " true ", "\tyes\n", "", " ", "nope", "ON", "Of",
];

fn cases() -> Vec<Case> {
    const NUM_ALPHA: &[&str] = &["0", "1", "9", ".", "e", "-", "+", " ", "x"];
    const DT_ALPHA: &[&str] = &[
        "0", "1", "2", "9", "-", "/", ".", ":", " ", "T", "Z", "+", "a", "jan", "bc", "٣",
    ];
    const HEX_ALPHA: &[&str] = &["0", "a", "F", "-", ":", ".", "{", "}", " ", "g", "x", "+"];
    const LT_ALPHA: &[&str] = &[
        "a", "_", ".", "*", "|", "!", "@", "%", "{", "}", ",", "1", " ", "&", "(", ")",
    ];
    vec![
        Case {
            ty: "date",
            field_type: "date",
            op: "eq",
            canon_sql: Some("x::text"),
            has_eq: true,
            session: true,
            edge: DATE_EDGES,
            generate: |r| {
                if r.chance(20) {
                    return datetime_soup(r);
                }
                let mut s = date_text(r);
                if r.chance(10) {
                    s = format!("{s} {}{}", time_text(r), offset(r));
                }
                s
            },
            alphabet: DT_ALPHA,
        },
        Case {
            ty: "timestamptz",
            field_type: "timestamptz",
            op: "eq",
            canon_sql: None,
            has_eq: true,
            session: true,
            edge: TIMESTAMP_EDGES,
            generate: timestamptz_text,
            alphabet: DT_ALPHA,
        },
        Case {
            ty: "daterange",
            field_type: "daterange",
            op: "eq",
            canon_sql: Some("x::text"),
            has_eq: true,
            session: true,
            edge: RANGE_EDGES,
            generate: daterange_text,
            alphabet: &["[", "(", ")", "]", ",", "\"", "\\", " ", "2024-01-01", "-"],
        },
        Case {
            ty: "uuid",
            field_type: "uuid",
            op: "eq",
            canon_sql: Some("x::text"),
            has_eq: true,
            session: false,
            edge: UUID_EDGES,
            generate: uuid_text,
            alphabet: HEX_ALPHA,
        },
        Case {
            ty: "inet",
            field_type: "inet",
            op: "eq",
            // the output function (`x::text` is the `text(inet)` function, always `/bits`)
            canon_sql: Some("format('%s', x)"),
            has_eq: true,
            session: false,
            edge: INET_EDGES,
            generate: inet_text,
            alphabet: &["0", "1", "f", ".", ":", "::", "/", " ", "x", "255"],
        },
        Case {
            ty: "cidr",
            field_type: "cidr",
            op: "eq",
            // the output function (`x::text` is the `text(inet)` function, always `/bits`)
            canon_sql: Some("format('%s', x)"),
            has_eq: true,
            session: false,
            edge: INET_EDGES,
            generate: inet_text,
            alphabet: &["0", "1", "f", ".", ":", "::", "/", " ", "x", "255"],
        },
        Case {
            ty: "macaddr",
            field_type: "macaddr",
            op: "eq",
            canon_sql: Some("x::text"),
            has_eq: true,
            session: false,
            edge: MAC_EDGES,
            generate: macaddr_text,
            alphabet: HEX_ALPHA,
        },
        Case {
            ty: "ltree",
            field_type: "ltree",
            op: "eq",
            canon_sql: Some("x::text"),
            has_eq: true,
            session: false,
            edge: LTREE_EDGES,
            generate: ltree_text,
            alphabet: LT_ALPHA,
        },
        Case {
            ty: "lquery",
            field_type: "ltree",
            op: "matches_lquery",
            canon_sql: None,
            has_eq: false,
            session: false,
            edge: LQUERY_EDGES,
            generate: lquery_text,
            alphabet: LT_ALPHA,
        },
        Case {
            ty: "ltxtquery",
            field_type: "ltree",
            op: "matches_ltxtquery",
            canon_sql: None,
            has_eq: false,
            session: false,
            edge: LTXTQUERY_EDGES,
            generate: ltxtquery_text,
            alphabet: LT_ALPHA,
        },
        Case {
            ty: "numeric",
            field_type: "numeric",
            op: "eq",
            canon_sql: Some("trim_scale(x)::text"),
            has_eq: true,
            session: false,
            edge: NUMERIC_EDGES,
            generate: numeric_text,
            alphabet: NUM_ALPHA,
        },
        Case {
            ty: "bigint",
            field_type: "integer",
            op: "eq",
            canon_sql: Some("x::text"),
            has_eq: true,
            session: false,
            edge: INTEGER_EDGES,
            generate: integer_text,
            alphabet: NUM_ALPHA,
        },
        Case {
            ty: "boolean",
            field_type: "boolean",
            op: "eq",
            canon_sql: None,
            has_eq: true,
            session: false,
            edge: BOOLEAN_EDGES,
            generate: boolean_text,
            alphabet: &["t", "r", "u", "e", "f", "o", "n", " ", "1", "0", "Y"],
        },
    ]
}

// ------------------------------------------------------------------ our side

fn schema() -> Schema {
    let mut fields = String::new();
    for c in cases() {
        fields.push_str(&format!("\"f_{}\": \"{}\",", c.ty, c.field_type));
    }
    fields.pop();
    Schema::from_json(&format!(
        "{{\"views\": {{\"v_ops\": {{\"columns\": {{\"id\": \"uuid\"}}, \"fields\": {{{fields}}}}}}}}}"
    ))
    .unwrap()
}

/// Our verdict: the canonical parameter text, or the error message.
fn ours(schema: &Schema, case: &Case, s: &str) -> Result<String, String> {
    let field = format!("f_{}", case.ty);
    let doc = Value::Object(vec![
        ("view".into(), Value::Str("v_ops".into())),
        ("select".into(), Value::List(vec![Value::Str("id".into())])),
        (
            "where".into(),
            Value::Object(vec![(
                field,
                Value::Object(vec![(case.op.into(), Value::Str(s.into()))]),
            )]),
        ),
    ]);
    let q = Query::from_value(&doc).map_err(|e| e.message().to_owned())?;
    match qb_core::compile(&q, schema, &CompileOptions::default()) {
        Ok(out) => Ok(out.params[0].to_pg_text()),
        Err(e) => {
            assert_eq!(e.code(), "QB_INVALID_VALUE", "{s:?}: {}", e.message());
            Err(e.message().to_owned())
        }
    }
}

// ------------------------------------------------------------------ the server's side

const SETUP: &str = r"
CREATE OR REPLACE FUNCTION pg_temp.fqb_try(typ text, repr text, vals text[], canon text[])
RETURNS TABLE(ok boolean, res text, same boolean) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..coalesce(array_length(vals, 1), 0) LOOP
    ok := false; res := NULL; same := NULL;
    BEGIN
      EXECUTE format('SELECT %s FROM (SELECT $1::%s AS x) s', repr, typ) INTO res USING vals[i];
      ok := true;
      IF canon[i] IS NOT NULL THEN
        EXECUTE format('SELECT $1::%1$s = $2::%1$s', typ) INTO same USING vals[i], canon[i];
      END IF;
    EXCEPTION WHEN OTHERS THEN
      IF ok THEN same := false; END IF;
    END;
    RETURN NEXT;
  END LOOP;
END $$";

#[derive(Debug, Clone, PartialEq)]
struct Verdict {
    ok: bool,
    out: Option<String>,
    same: Option<bool>,
}

fn server(
    c: &mut Client,
    settings: &str,
    case: &Case,
    vals: &[String],
    canon: &[Option<String>],
) -> Vec<Verdict> {
    c.batch_execute(settings).unwrap();
    let repr = match case.ty {
        // The instant and its UTC year, whatever the session shows.
        "timestamptz" => {
            "CASE WHEN isfinite(x) THEN extract(epoch from x)::text || ' ' || \
             to_char(x AT TIME ZONE 'UTC', 'YYYY BC') ELSE x::text END"
        }
        _ => case.canon_sql.unwrap_or("x::text"),
    };
    let rows = c
        .query(
            "SELECT ok, res, same FROM pg_temp.fqb_try($1, $2, $3, $4)",
            &[&case.ty, &repr, &vals, &canon],
        )
        .unwrap();
    rows.iter()
        .map(|r| Verdict {
            ok: r.get(0),
            out: r.get(1),
            same: r.get(2),
        })
        .collect()
}

const MAIN: &str = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; \
                    SET timezone_abbreviations = 'Default'";
const DATESTYLES: &[&str] = &[
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, DMY'",
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'",
];
const TIMEZONES: &[&str] = &[
    "SET DateStyle = 'ISO, MDY'; SET TimeZone = 'America/New_York'",
    "SET DateStyle = 'ISO, MDY'; SET TimeZone = 'Asia/Kolkata'",
];

/// Date/time words PostgreSQL knows (not zone abbreviations).
#[rustfmt::skip]
const KEYWORDS: &[&str] = &[
    "ad", "allballs", "am", "apr", "april", "at", "aug", "august", "bc", "d", "dec", "december",
    "dow", "doy", "dst", "epoch", "feb", "february", "fri", "friday", "h", "infinity", "isodow",
    "isoyear", "j", "jan", "january", "jd", "jul", "julian", "july", "jun", "june", "m", "mar",
    "march", "may", "mm", "mon", "monday", "nov", "november", "now", "oct", "october", "on", "pm",
    "s", "sat", "saturday", "sep", "sept", "september", "sun", "sunday", "t", "thu", "thur",
    "thurs", "thursday", "today", "tomorrow", "tue", "tues", "tuesday", "wed", "wednesday", "weds",
    "y", "yesterday", "z", "zulu", "utc", "gmt", "ut", "uct",
];

fn alpha_runs(s: &str) -> Vec<String> {
    s.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether the text holds a time zone name or abbreviation: a word PostgreSQL's date/time
/// input does not know, or a word run together with digits or punctuation (`utc+3`,
/// `Europe/Paris`, `EST5EDT`), which PostgreSQL looks up as a zone name.
fn zone_like(s: &str) -> bool {
    let b = s.to_ascii_lowercase().into_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphabetic() {
            let start = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            let word = std::str::from_utf8(&b[start..i]).unwrap_or("");
            let next = b.get(i).copied().unwrap_or(b' ');
            if !KEYWORDS.contains(&word)
                || next.is_ascii_digit()
                || matches!(next, b'+' | b'/' | b'-' | b'.' | b'_' | b':')
            {
                return true;
            }
        } else {
            i += 1;
        }
    }
    false
}

/// Checks one type; returns (accepted, refused for a reason, rejected by both).
fn check(c: &mut Client, schema: &Schema, case: &Case, vals: &[String]) -> (usize, usize, usize) {
    let mine: Vec<Result<String, String>> = vals.iter().map(|s| ours(schema, case, s)).collect();
    let canon: Vec<Option<String>> = mine
        .iter()
        .map(|m| m.as_ref().ok().filter(|_| case.has_eq).cloned())
        .collect();
    let main = server(c, MAIN, case, vals, &canon);
    let none: Vec<Option<String>> = vec![None; vals.len()];
    let by = |c: &mut Client, settings: &[&str]| -> Vec<Vec<Verdict>> {
        if case.session {
            settings
                .iter()
                .map(|s| server(c, s, case, vals, &none))
                .collect()
        } else {
            Vec::new()
        }
    };
    let styles = by(c, DATESTYLES);
    let zones = if case.ty == "timestamptz" {
        by(c, TIMEZONES)
    } else {
        Vec::new()
    };
    c.batch_execute(MAIN).unwrap();

    let key = |v: &Verdict| (v.ok, v.out.clone());
    let mut failures = Vec::new();
    let (mut accepted, mut refused, mut rejected) = (0, 0, 0);
    for (i, s) in vals.iter().enumerate() {
        let m = &main[i];
        let style_differs = styles.iter().any(|p| key(&p[i]) != key(m));
        let zone_differs = zones.iter().any(|p| key(&p[i]) != key(m));
        let accepted_somewhere = m.ok || styles.iter().chain(&zones).any(|p| p[i].ok);
        match &mine[i] {
            Ok(canon) => {
                accepted += 1;
                if !m.ok {
                    failures.push(format!("{s:?}: we accept ({canon:?}), PostgreSQL rejects"));
                } else if case.has_eq && m.same != Some(true) {
                    failures.push(format!("{s:?}: canonical {canon:?} is not the same value"));
                } else if case.canon_sql.is_some() && m.out.as_deref() != Some(canon) {
                    failures.push(format!(
                        "{s:?}: canonical {canon:?}, PostgreSQL writes {:?}",
                        m.out
                    ));
                } else if style_differs || zone_differs {
                    failures.push(format!(
                        "{s:?}: accepted, but its value changes with DateStyle/TimeZone"
                    ));
                }
            }
            Err(msg) if !msg.contains("refused (") => {
                rejected += 1;
                if accepted_somewhere {
                    failures.push(format!(
                        "{s:?}: we reject ({msg}), PostgreSQL accepts ({:?})",
                        m.out
                    ));
                }
            }
            Err(msg) => {
                refused += 1;
                if !accepted_somewhere {
                    continue;
                }
                let tag = msg
                    .split("refused (")
                    .nth(1)
                    .and_then(|t| t.split(')').next())
                    .unwrap_or("");
                let lower = s.to_ascii_lowercase();
                let holds = match tag {
                    "datestyle" => style_differs,
                    "timezone" => zone_differs,
                    "clock" => ["now", "today", "tomorrow", "yesterday"]
                        .iter()
                        .any(|w| alpha_runs(&lower).iter().any(|r| r == w)),
                    "zone-name" => zone_like(s),
                    "infinite" => m.out.as_deref().is_some_and(|o| o.contains("infinity")),
                    "year-range" => m.out.as_deref().is_some_and(|o| {
                        let year_text = match case.ty {
                            "timestamptz" => o.split(' ').nth(1).unwrap_or(""),
                            _ => o.split('-').next().unwrap_or(""),
                        };
                        o.ends_with("BC")
                            || year_text
                                .parse::<u32>()
                                .is_ok_and(|y| !(1..=9999).contains(&y))
                    }),
                    "locale" => !s.is_ascii(),
                    "nesting" => s.matches('(').count() > 1000,
                    _ => false,
                };
                if !holds {
                    failures.push(format!(
                        "{s:?}: refused ({tag}) but PostgreSQL accepts it ({:?}) and the reason \
                         does not hold",
                        m.out
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}: {} disagreements with PostgreSQL:\n{}",
        case.ty,
        failures.len(),
        failures.join("\n")
    );
    (accepted, refused, rejected)
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn operands_are_accepted_exactly_as_postgresql_accepts_them() {
    let n = env("FQB_OPERAND_CASES", DEFAULT_CASES as u64) as usize;
    let seed = env("FQB_OPERAND_SEED", DEFAULT_SEED);
    let mut c = client();
    c.batch_execute(SETUP).unwrap();
    let schema = schema();
    for (k, case) in cases().iter().enumerate() {
        let mut r = Rng(seed ^ (k as u64).wrapping_mul(0x1000_0001));
        let mut vals: Vec<String> = case.edge.iter().map(|s| (*s).to_owned()).collect();
        while vals.len() < case.edge.len() + n {
            let mut s = (case.generate)(&mut r);
            if r.chance(30) {
                let base = if r.chance(50) || case.edge.is_empty() {
                    s
                } else {
                    case.edge[r.below(case.edge.len())].to_owned()
                };
                let mut alphabet: Vec<&str> = case.alphabet.to_vec();
                alphabet.extend_from_slice(UNICODE_DIGITS);
                s = mutate(&mut r, &base, &alphabet);
            }
            vals.push(s);
        }
        vals.retain(|s| !s.contains('\0'));
        let (accepted, refused, rejected) = check(&mut c, &schema, case, &vals);
        eprintln!(
            "{:>11}: {} strings, {accepted} accepted, {refused} refused for a reason, \
             {rejected} rejected (seed {seed:#x})",
            case.ty,
            vals.len()
        );
        // Neither side may be vacuous.
        assert!(accepted >= vals.len() / 10, "{}: too few accepted", case.ty);
        assert!(rejected >= vals.len() / 20, "{}: too few rejected", case.ty);
    }
}

/// Long inputs: the work buffers of the date/time parser, ltree label and level limits,
/// ltxtquery nesting and numeric digits past the storage limits.
#[test]
fn long_operands_match_postgresql() {
    let mut c = client();
    c.batch_execute(SETUP).unwrap();
    let schema = schema();
    let all = cases();
    let find = |ty: &str| all.iter().find(|c| c.ty == ty).unwrap();
    let mut long = |ty: &str, vals: Vec<String>| {
        check(&mut c, &schema, find(ty), &vals);
    };
    let spaced = |n: usize| format!("2024-01-01{}10:00z", " ".repeat(n));
    let mut dates = Vec::new();
    for n in [100, 126, 127, 128, 129, 140, 150, 151, 152, 153, 200] {
        dates.push(format!("2024-01-01T10:00:00.{}z", "1".repeat(n)));
        dates.push(format!("2024-01-01 {}", "at ".repeat(n / 3)));
        dates.push(spaced(n));
        dates.push(format!("{}2024-01-01", "0".repeat(n)));
    }
    long("timestamptz", dates.clone());
    long("date", dates);
    long(
        "ltree",
        vec![
            "a".repeat(255),
            "a".repeat(256),
            format!("{}a", "a.".repeat(65_534)),
            format!("{}a", "a.".repeat(65_535)),
        ],
    );
    long(
        "lquery",
        vec![
            "a".repeat(255),
            format!("{}@*", "a".repeat(255)),
            "a".repeat(256),
            format!("{}*", "*.".repeat(65_534)),
            format!("{}*", "*.".repeat(65_535)),
        ],
    );
    long(
        "ltxtquery",
        vec![
            "a".repeat(255),
            "a".repeat(256),
            format!("{}a", "!".repeat(32)),
            format!("{}a", "!".repeat(33)),
            format!("{}a{}", "(".repeat(1000), ")".repeat(1000)),
            format!("{}a{}", "(".repeat(1001), ")".repeat(1001)),
            format!("a{}", " & a".repeat(100)),
        ],
    );
    long(
        "numeric",
        vec![
            format!("1{}", "0".repeat(131_071)),
            format!("1{}", "0".repeat(131_072)),
            format!("0.{}1", "0".repeat(16_381)),
            format!("0.{}1", "0".repeat(16_382)),
            format!("0.{}", "0".repeat(16_384)),
        ],
    );
}
