//! `inet_in`, `cidr_in`, `macaddr_in` and `uuid_in` of PostgreSQL 15: which strings they
//! accept, and the server's own output text for each value.

use super::c::is_space;

/// An `inet`/`cidr` value: family, address bytes (IPv4 in the first four) and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Inet {
    v6: bool,
    addr: [u8; 16],
    bits: u8,
}

/// `inet_in` (`cidr` false) or `cidr_in` (`cidr` true): the address, or `None` when
/// PostgreSQL rejects the text. A string with a `:` is IPv6, anything else IPv4.
pub(crate) fn inet(s: &str, cidr: bool) -> Option<Inet> {
    let b = s.as_bytes();
    let v6 = b.contains(&b':');
    let mut addr = [0u8; 16];
    let bits = if v6 {
        ipv6(b, &mut addr)?
    } else if cidr {
        cidr_ipv4(b, &mut addr)?
    } else {
        inet_ipv4(b, &mut addr)?
    };
    let max = if v6 { 128 } else { 32 };
    if bits > max {
        return None;
    }
    let value = Inet {
        v6,
        addr,
        bits: bits as u8,
    };
    if cidr && !value.host_bits_zero() {
        return None;
    }
    Some(value)
}

impl Inet {
    /// `cidr` values must have no bits set right of the prefix.
    fn host_bits_zero(&self) -> bool {
        let len = if self.v6 { 16 } else { 4 };
        let bits = usize::from(self.bits);
        self.addr[..len].iter().enumerate().all(|(i, &byte)| {
            let keep = bits.saturating_sub(i * 8).min(8);
            let mask = if keep == 8 { 0xff } else { !(0xffu8 >> keep) };
            byte & !mask == 0
        })
    }

    /// PostgreSQL's output text (`inet_out`/`cidr_out`): dotted quad or compressed IPv6,
    /// `/bits` unless the prefix is full, always for `cidr`.
    pub(crate) fn to_text(self, cidr: bool) -> String {
        let mut out = String::with_capacity(if self.v6 { 44 } else { 18 });
        let max = if self.v6 {
            self.write_v6(&mut out);
            128
        } else {
            for (i, &byte) in self.addr[..4].iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_decimal(&mut out, byte);
            }
            32
        };
        if cidr || self.bits != max {
            out.push('/');
            push_decimal(&mut out, self.bits);
        }
        out
    }

    /// `inet_net_ntop_ipv6`: lowercase hex words, the longest run (of at least two) zero
    /// words as `::`, and a trailing IPv4 for IPv4-mapped and -compatible addresses.
    fn write_v6(&self, out: &mut String) {
        use std::fmt::Write;
        let words: [u16; 8] =
            std::array::from_fn(|i| u16::from_be_bytes([self.addr[2 * i], self.addr[2 * i + 1]]));
        let (mut best, mut cur): ((Option<usize>, usize), (Option<usize>, usize)) =
            ((None, 0), (None, 0));
        for (i, &w) in words.iter().enumerate() {
            if w == 0 {
                match cur.0 {
                    None => cur = (Some(i), 1),
                    Some(_) => cur.1 += 1,
                }
            } else if cur.0.is_some() {
                if best.0.is_none() || cur.1 > best.1 {
                    best = cur;
                }
                cur = (None, 0);
            }
        }
        if cur.0.is_some() && (best.0.is_none() || cur.1 > best.1) {
            best = cur;
        }
        if best.0.is_some() && best.1 < 2 {
            best = (None, 0);
        }
        let mut i = 0;
        while i < 8 {
            if let Some(base) = best.0
                && i >= base
                && i < base + best.1
            {
                if i == base {
                    out.push(':');
                }
                i += 1;
                continue;
            }
            if i != 0 {
                out.push(':');
            }
            if i == 6
                && best.0 == Some(0)
                && (best.1 == 6
                    || (best.1 == 7 && words[7] != 0x0001)
                    || (best.1 == 5 && words[5] == 0xffff))
            {
                let a = &self.addr[12..16];
                let _ = write!(out, "{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
                return;
            }
            let _ = write!(out, "{:x}", words[i]);
            i += 1;
        }
        if let Some(base) = best.0
            && base + best.1 == 8
        {
            out.push(':');
        }
    }
}

/// A byte in decimal (this is on the hot path: no formatter).
fn push_decimal(out: &mut String, v: u8) {
    if v >= 100 {
        out.push(char::from(b'0' + v / 100));
    }
    if v >= 10 {
        out.push(char::from(b'0' + v / 10 % 10));
    }
    out.push(char::from(b'0' + v % 10));
}

/// `inet_net_pton_ipv4`: a dotted decimal address (1 to 4 octets, each 0..255), with a
/// `/bits` prefix unless all four octets are given; a trailing `.` is tolerated.
fn inet_ipv4(b: &[u8], dst: &mut [u8; 16]) -> Option<u32> {
    let mut i = 0;
    let mut n = 0usize;
    let mut ch = next(b, &mut i);
    while ch.is_ascii_digit() {
        let mut tmp: u32 = 0;
        loop {
            tmp = tmp * 10 + u32::from(ch - b'0');
            if tmp > 255 {
                return None;
            }
            ch = next(b, &mut i);
            if !ch.is_ascii_digit() {
                break;
            }
        }
        if n == 4 {
            return None;
        }
        dst[n] = tmp as u8;
        n += 1;
        if ch == 0 || ch == b'/' {
            break;
        }
        if ch != b'.' {
            return None;
        }
        ch = next(b, &mut i);
    }
    let mut bits: Option<u32> = None;
    if ch == b'/' && b.get(i).is_some_and(u8::is_ascii_digit) && n > 0 {
        bits = Some(prefix(b, &mut i, &mut ch)?);
    }
    if ch != 0 {
        return None;
    }
    let bits = match bits {
        Some(bits) => bits,
        None if n == 4 => 32,
        None => return None,
    };
    if n == 0 || (bits / 8) as usize > n {
        return None;
    }
    Some(bits)
}

/// `inet_cidr_pton_ipv4`: like [`inet_ipv4`], but also `0x` hex, and an omitted prefix is
/// inferred from the classful network of the first octet.
fn cidr_ipv4(b: &[u8], dst: &mut [u8; 16]) -> Option<u32> {
    let mut i = 0;
    let mut n = 0usize;
    let mut ch = next(b, &mut i);
    if ch == b'0'
        && matches!(b.get(i), Some(b'x' | b'X'))
        && b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
    {
        i += 1; // the x
        let mut dirty = 0;
        let mut tmp: u8 = 0;
        loop {
            ch = next(b, &mut i);
            if ch == 0 || !ch.is_ascii_hexdigit() {
                break;
            }
            let nib = hex(ch);
            tmp = if dirty == 0 { nib } else { (tmp << 4) | nib };
            dirty += 1;
            if dirty == 2 {
                if n == 4 {
                    return None;
                }
                dst[n] = tmp;
                n += 1;
                dirty = 0;
            }
        }
        if dirty != 0 {
            if n == 4 {
                return None;
            }
            dst[n] = tmp << 4;
            n += 1;
        }
    } else if ch.is_ascii_digit() {
        loop {
            let mut tmp: u32 = 0;
            loop {
                tmp = tmp * 10 + u32::from(ch - b'0');
                if tmp > 255 {
                    return None;
                }
                ch = next(b, &mut i);
                if !ch.is_ascii_digit() {
                    break;
                }
            }
            if n == 4 {
                return None;
            }
            dst[n] = tmp as u8;
            n += 1;
            if ch == 0 || ch == b'/' {
                break;
            }
            if ch != b'.' {
                return None;
            }
            ch = next(b, &mut i);
            if !ch.is_ascii_digit() {
                return None;
            }
        }
    } else {
        return None;
    }
    let mut bits: Option<u32> = None;
    if ch == b'/' && b.get(i).is_some_and(u8::is_ascii_digit) && n > 0 {
        bits = Some(prefix(b, &mut i, &mut ch)?);
    }
    if ch != 0 || n == 0 {
        return None;
    }
    let bits = match bits {
        Some(bits) => bits,
        None => {
            let first = dst[0];
            let mut bits = if first >= 240 {
                32
            } else if first >= 224 {
                8
            } else if first >= 192 {
                24
            } else if first >= 128 {
                16
            } else {
                8
            };
            if bits < (n * 8) as u32 {
                bits = (n * 8) as u32;
            }
            if bits == 8 && first == 224 {
                bits = 4;
            }
            bits
        }
    };
    Some(bits)
}

/// The `/bits` of an IPv4 address (at `i`, just past the `/`): digits to the end, at most 32.
fn prefix(b: &[u8], i: &mut usize, ch: &mut u8) -> Option<u32> {
    *ch = next(b, i);
    // C `int` arithmetic; PostgreSQL builds with -fwrapv, so an overflow wraps.
    let mut bits: i32 = 0;
    loop {
        bits = bits.wrapping_mul(10).wrapping_add(i32::from(*ch - b'0'));
        *ch = next(b, i);
        if !ch.is_ascii_digit() {
            break;
        }
    }
    if *ch != 0 || !(0..=32).contains(&bits) {
        return None;
    }
    Some(bits as u32)
}

fn next(b: &[u8], i: &mut usize) -> u8 {
    let c = b.get(*i).copied().unwrap_or(0);
    *i += 1;
    c
}

fn hex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

/// `getbits`: a prefix length 0..=128 without leading zeros, to the end of the string.
fn getbits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) || (b.len() > 1 && b[0] == b'0') {
        return None;
    }
    let mut val = 0u32;
    for &c in b {
        val = val * 10 + u32::from(c - b'0');
        if val > 128 {
            return None;
        }
    }
    Some(val)
}

/// `getv4`: the dotted IPv4 tail of an IPv6 address (up to four octets without leading
/// zeros), with an optional `/bits`. Writes the octets; returns the prefix if one was given.
fn getv4(b: &[u8], dst: &mut [u8]) -> Option<Option<u32>> {
    let mut n = 0usize;
    let mut val: u32 = 0;
    let mut digits = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        i += 1;
        if c.is_ascii_digit() {
            if digits != 0 && val == 0 {
                return None;
            }
            digits += 1;
            val = val * 10 + u32::from(c - b'0');
            if val > 255 {
                return None;
            }
            continue;
        }
        if c == b'.' || c == b'/' {
            if n > 3 {
                return None;
            }
            dst[n] = val as u8;
            n += 1;
            if c == b'/' {
                return getbits(&b[i..]).map(Some);
            }
            val = 0;
            digits = 0;
            continue;
        }
        return None;
    }
    if digits == 0 || n > 3 {
        return None;
    }
    dst[n] = val as u8;
    Some(None)
}

/// `inet_cidr_pton_ipv6`: hex groups of up to four digits, one `::`, an optional IPv4 tail
/// and `/bits`.
fn ipv6(b: &[u8], dst: &mut [u8; 16]) -> Option<u32> {
    let mut tmp = [0u8; 16];
    let mut tp = 0usize;
    let mut colonp: Option<usize> = None;
    let mut i = 0usize;
    if at0(b, 0) == b':' {
        if at0(b, 1) != b':' {
            return None;
        }
        i = 1;
    }
    let mut curtok = i;
    let mut saw_xdigit = false;
    let mut val: u32 = 0;
    let mut digits = 0;
    let mut bits: Option<u32> = None;
    while i < b.len() {
        let ch = b[i];
        i += 1;
        if ch.is_ascii_hexdigit() {
            val = (val << 4) | u32::from(hex(ch));
            digits += 1;
            if digits > 4 {
                return None;
            }
            saw_xdigit = true;
            continue;
        }
        if ch == b':' {
            curtok = i;
            if !saw_xdigit {
                if colonp.is_some() {
                    return None;
                }
                colonp = Some(tp);
                continue;
            } else if i >= b.len() {
                return None;
            }
            if tp + 2 > 16 {
                return None;
            }
            tmp[tp] = (val >> 8) as u8;
            tmp[tp + 1] = val as u8;
            tp += 2;
            saw_xdigit = false;
            digits = 0;
            val = 0;
            continue;
        }
        if ch == b'.' && tp + 4 <= 16 {
            if let Some(b4) = getv4(&b[curtok..], &mut tmp[tp..tp + 4]) {
                bits = b4;
                tp += 4;
                saw_xdigit = false;
                break;
            }
        }
        if ch == b'/' {
            if let Some(b6) = getbits(&b[i..]) {
                bits = Some(b6);
                break;
            }
        }
        return None;
    }
    if saw_xdigit {
        if tp + 2 > 16 {
            return None;
        }
        tmp[tp] = (val >> 8) as u8;
        tmp[tp + 1] = val as u8;
        tp += 2;
    }
    if let Some(cp) = colonp {
        if tp == 16 {
            return None;
        }
        let n = tp - cp;
        for k in 1..=n {
            tmp[16 - k] = tmp[cp + n - k];
            tmp[cp + n - k] = 0;
        }
        tp = 16;
    }
    if tp != 16 {
        return None;
    }
    *dst = tmp;
    Some(bits.unwrap_or(128))
}

fn at0(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// The `sscanf` formats `macaddr_in` tries, in order: `x` is `%x` (`%2x` when the flag is
/// set), other bytes match literally.
const FORMATS: [(&[u8], bool); 7] = [
    (b"x:x:x:x:x:x", false),
    (b"x-x-x-x-x-x", false),
    (b"xxx:xxx", true),
    (b"xxx-xxx", true),
    (b"xx.xx.xx", true),
    (b"xx-xx-xx", true),
    (b"xxxxxx", true),
];

/// `macaddr_in`: the six octets, tried against the formats PostgreSQL lists in order
/// (`sscanf` with `%x`, or `%2x` for the grouped forms), or `None`.
pub(crate) fn macaddr(s: &str) -> Option<[u8; 6]> {
    let b = s.as_bytes();
    if let Some(octets) = mac_fast(b) {
        return Some(octets);
    }
    for (format, width2) in FORMATS {
        if let Some(octets) = scan(b, format, width2) {
            // The first format that reads six numbers decides; out-of-range values are an
            // error, not a reason to try the next format.
            let mut out = [0u8; 6];
            for (o, v) in out.iter_mut().zip(octets) {
                *o = u8::try_from(v).ok()?;
            }
            return Some(out);
        }
    }
    None
}

/// The hot path: six pairs of hex digits joined by one of `:` or `-`, which the first two
/// formats read as exactly those octets.
fn mac_fast(b: &[u8]) -> Option<[u8; 6]> {
    if b.len() != 17 || !matches!(b[2], b':' | b'-') {
        return None;
    }
    let sep = b[2];
    let mut out = [0u8; 6];
    for (k, o) in out.iter_mut().enumerate() {
        let (h, l) = (b[3 * k], b[3 * k + 1]);
        if !h.is_ascii_hexdigit() || !l.is_ascii_hexdigit() || (k < 5 && b[3 * k + 2] != sep) {
            return None;
        }
        *o = (hex(h) << 4) | hex(l);
    }
    Some(out)
}

/// glibc `sscanf(s, format "%1s", ...)` returning 6: each `x` is a `%x` (`%2x` when
/// `width2`), other bytes must match literally, and only spaces may follow. The values are
/// what lands in the C `int`s.
fn scan(b: &[u8], format: &[u8], width2: bool) -> Option<[i32; 6]> {
    let mut out = [0i32; 6];
    let mut n = 0;
    let mut i = 0;
    for &f in format {
        if f == b'x' {
            out[n] = scan_hex(b, &mut i, if width2 { 2 } else { usize::MAX })?;
            n += 1;
        } else if b.get(i) == Some(&f) {
            i += 1;
        } else {
            return None;
        }
    }
    // `%1s` matches iff non-space input remains.
    b[i..].iter().all(|&c| is_space(c)).then_some(out)
}

/// One glibc `%x` conversion of at most `width` characters (leading spaces not counted):
/// optional sign, optional `0x`, hex digits; converted by `strtoul` and stored in an
/// `unsigned int` read back as `int`.
fn scan_hex(b: &[u8], i: &mut usize, width: usize) -> Option<i32> {
    while *i < b.len() && is_space(b[*i]) {
        *i += 1;
    }
    let mut width = width;
    let mut c = at0(b, *i);
    let mut neg = false;
    let mut seen = false; // a digit (or the `0` of `0x`) went into the number
    if c == b'-' || c == b'+' {
        neg = c == b'-';
        width -= 1;
        *i += 1;
        c = at0(b, *i);
    }
    if width != 0 && c == b'0' {
        width -= 1;
        seen = true;
        *i += 1;
        c = at0(b, *i);
        if width != 0 && (c == b'x' || c == b'X') {
            width -= 1;
            *i += 1;
            c = at0(b, *i);
        }
    }
    // strtoul: saturates at ULONG_MAX, negates modulo 2^64 for a minus sign.
    let mut v: u64 = 0;
    let mut overflow = false;
    while c != 0 && width != 0 && c.is_ascii_hexdigit() {
        seen = true;
        match v
            .checked_mul(16)
            .and_then(|x| x.checked_add(u64::from(hex(c))))
        {
            Some(x) => v = x,
            None => overflow = true,
        }
        width -= 1;
        *i += 1;
        c = at0(b, *i);
    }
    if !seen {
        return None;
    }
    let v = if overflow {
        u64::MAX
    } else if neg {
        v.wrapping_neg()
    } else {
        v
    };
    Some(v as u32 as i32)
}

/// `string_to_uuid`: 32 hex digits, optionally in `{}`, with an optional `-` after any
/// group of four digits (but not after the last); canonical lowercase 8-4-4-4-12.
pub(crate) fn uuid(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let canonical_shape = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    if canonical_shape {
        // The hot path: already 8-4-4-4-12.
        return Some(s.to_ascii_lowercase());
    }
    let mut i = 0;
    let braces = b.first() == Some(&b'{');
    if braces {
        i += 1;
    }
    let mut bytes = [0u8; 16];
    for (k, byte) in bytes.iter_mut().enumerate() {
        let (h, l) = (b.get(i)?, b.get(i + 1)?);
        if !h.is_ascii_hexdigit() || !l.is_ascii_hexdigit() {
            return None;
        }
        *byte = (hex(*h) << 4) | hex(*l);
        i += 2;
        if b.get(i) == Some(&b'-') && k % 2 == 1 && k < 15 {
            i += 1;
        }
    }
    if braces {
        if b.get(i) != Some(&b'}') {
            return None;
        }
        i += 1;
    }
    if i != b.len() {
        return None;
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (k, byte) in bytes.iter().enumerate() {
        if matches!(k, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    Some(out)
}

/// PostgreSQL's `macaddr` output: six lowercase hex pairs joined by `:`.
pub(crate) fn macaddr_text(octets: [u8; 6]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(17);
    for (k, byte) in octets.iter().enumerate() {
        if k > 0 {
            out.push(':');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inet_text(s: &str, cidr: bool) -> Option<String> {
        inet(s, cidr).map(|v| v.to_text(cidr))
    }

    #[test]
    fn inets() {
        assert_eq!(inet_text("10.0.0.1", false).as_deref(), Some("10.0.0.1"));
        assert_eq!(inet_text("10.0.0.1/32", false).as_deref(), Some("10.0.0.1"));
        assert_eq!(inet_text("10.1/16", false).as_deref(), Some("10.1.0.0/16"));
        assert_eq!(inet_text("1.2.3.4.", false).as_deref(), Some("1.2.3.4"));
        assert_eq!(inet_text("10/8", true).as_deref(), Some("10.0.0.0/8"));
        assert_eq!(
            inet_text("192.168", true).as_deref(),
            Some("192.168.0.0/24")
        );
        assert_eq!(inet_text("0x0a", true).as_deref(), Some("10.0.0.0/8"));
        assert_eq!(inet_text("::1.2", false).as_deref(), Some("::1.2.0.0"));
        assert_eq!(inet_text("::1", false).as_deref(), Some("::1"));
        assert_eq!(inet_text("::", false).as_deref(), Some("::"));
        assert_eq!(
            inet_text("FE80::1/64", false).as_deref(),
            Some("fe80::1/64")
        );
        assert_eq!(
            inet_text("::ffff:1.2.3.4", false).as_deref(),
            Some("::ffff:1.2.3.4")
        );
        assert_eq!(
            inet_text("1:0:0:1:0:0:0:1", false).as_deref(),
            Some("1:0:0:1::1")
        );
        for bad in [
            "",
            " 1.2.3.4",
            "1.2.3",
            "256.0.0.1",
            "10.0.0.1/33",
            "::1/08",
            "1::2::3",
        ] {
            assert_eq!(inet_text(bad, false), None, "{bad}");
        }
        assert_eq!(inet_text("10.0.0.1/8", true), None);
    }

    #[test]
    fn macaddrs() {
        let ok = "08:00:2b:01:02:03";
        for s in [
            "08:00:2b:01:02:03",
            "08-00-2b-01-02-03",
            "08002b:010203",
            "08002b-010203",
            "0800.2b01.0203",
            "0800-2b01-0203",
            "08002b010203",
            " 8:0:2B:1:2:3 ",
            "0x8:+0:-0x0:1:2:3",
        ] {
            let want = if s.starts_with("0x") {
                "08:00:00:01:02:03"
            } else {
                ok
            };
            assert_eq!(macaddr(s).map(macaddr_text).as_deref(), Some(want), "{s}");
        }
        assert_eq!(macaddr("100000000:0:0:0:0:0"), Some([0; 6]));
        assert_eq!(macaddr("0x:0:0:0:0:0"), Some([0; 6]));
        assert_eq!(macaddr("-:0:0:0:0:0"), None);
        // The fast path reads what the formats read.
        for s in [
            "08:00:2b:01:02:03",
            "AA-bb-CC-dd-EE-ff",
            "08:00-2b:01:02:03",
            "08:00:2b:01:02:0g",
        ] {
            let b = s.as_bytes();
            let slow = FORMATS
                .iter()
                .find_map(|(f, w)| scan(b, f, *w))
                .map(|o| o.map(|v| v as u8));
            assert_eq!(mac_fast(b), slow, "{s}");
        }
        for bad in [
            "08:00:2b:01:02",
            "08:00:2b:01:02:03:04",
            "-1:0:0:0:0:0",
            "0800.2b01-0203",
        ] {
            assert_eq!(macaddr(bad), None, "{bad}");
        }
    }

    #[test]
    fn uuids() {
        let want = Some("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".to_owned());
        for s in [
            "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
            "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
        ] {
            assert_eq!(uuid(s), want, "{s}");
        }
        for bad in [
            "{a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11-",
            "",
        ] {
            assert_eq!(uuid(bad), None, "{bad}");
        }
    }
}
