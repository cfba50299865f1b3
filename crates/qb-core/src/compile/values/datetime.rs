//! PostgreSQL 15's date/time input, re-implemented so that a `date`, `timestamptz` or
//! `daterange`-bound operand is accepted exactly when the server's input function accepts it,
//! and turned into the value the server would read.
//!
//! The structure follows `src/backend/utils/adt/datetime.c` (documented in the manual's
//! appendix "Date/Time Input Interpretation"): [`tokenize`] is `ParseDateTime` (the string
//! becomes typed fields), [`Decoder::decode`] is `DecodeDateTime` with its helpers
//! (`DecodeDate`, `DecodeNumber`, `DecodeNumberField`, `DecodeTime`, `DecodeTimezone`,
//! `ValidateDate`), and [`timestamptz`], [`date`] and [`date_bound`] are what `timestamptz_in`
//! and `date_in` do with the result. The differential test
//! (`crates/qb-testpg/tests/operand_formats.rs`) holds it to the real server.
//!
//! What PostgreSQL accepts but we refuse, each for a documented reason (docs/query-ast.md,
//! "Operand formats"): words read from the clock (`now`, `today`, `tomorrow`, `yesterday`),
//! time zone names and abbreviations (their offsets come from `timezone_abbreviations` and the
//! server's time zone database; `Z`, `UTC`, `GMT`, `UT`, `UCT` and `zulu` are offset 0 in every
//! shipped abbreviation set and are read as such), timestamps without an offset (session
//! `TimeZone`), numeric field orders that `DateStyle` decides (found by decoding under every
//! order and comparing), and values the drivers' native types cannot hold.

use super::c::{at, atoi, fraction, is_punct, is_space, rint, strtoint};
use super::{Bad, Refusal};

const MAXDATEFIELDS: usize = 25;
/// `timestamptz_in`'s work buffer (`MAXDATELEN + MAXDATEFIELDS`).
pub(super) const TIMESTAMP_BUF: usize = 128 + MAXDATEFIELDS;
/// `date_in`'s work buffer (`MAXDATELEN + 1`).
pub(super) const DATE_BUF: usize = 128 + 1;

const USECS_PER_SEC: i64 = 1_000_000;
const USECS_PER_DAY: i64 = 86_400 * USECS_PER_SEC;
const POSTGRES_EPOCH_JDATE: i32 = 2_451_545;
const UNIX_EPOCH_JDATE: i32 = 2_440_588;
const MIN_TIMESTAMP: i64 = -211_813_488_000_000_000;
const END_TIMESTAMP: i64 = 9_223_371_331_200_000_000;
const DATE_END_JULIAN: i32 = 2_147_483_494;
const MAX_TZDISP_HOUR: i32 = 15;

// Field kinds of the fmask/tmask bit sets (PostgreSQL's datetime.h numbering).
const RESERV: u32 = 0;
const MONTH: u32 = 1;
const YEAR: u32 = 2;
const DAY: u32 = 3;
const TZ: u32 = 5;
const DTZ: u32 = 6;
const AMPM: u32 = 9;
const HOUR: u32 = 10;
const MINUTE: u32 = 11;
const SECOND: u32 = 12;
const MILLISECOND: u32 = 13;
const MICROSECOND: u32 = 14;
const DOY: u32 = 15;
const DOW: u32 = 16;
const ADBC: u32 = 18;
const DTZMOD: u32 = 28;

const fn m(t: u32) -> u32 {
    1 << t
}
const DATE_M: u32 = m(YEAR) | m(MONTH) | m(DAY);
const ALL_SECS_M: u32 = m(SECOND) | m(MILLISECOND) | m(MICROSECOND);
const TIME_M: u32 = m(HOUR) | m(MINUTE) | ALL_SECS_M;

/// `ParseDateTime`'s field types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FType {
    Number,
    String,
    Date,
    Time,
    Tz,
    Special,
}

/// The fields of one input string, lowercased where PostgreSQL lowercases them.
struct Tokens {
    buf: [u8; TIMESTAMP_BUF],
    fields: [(u16, u16, FType); MAXDATEFIELDS],
    nf: usize,
}

impl Tokens {
    fn field(&self, i: usize) -> &[u8] {
        let (s, e, _) = self.fields[i];
        &self.buf[s as usize..e as usize]
    }
    fn ftype(&self, i: usize) -> FType {
        self.fields[i].2
    }
}

/// `ParseDateTime`: breaks the string into fields. `bufsize` is the caller's work buffer,
/// which bounds the total length of the fields (an over-long input is a syntax error).
fn tokenize(s: &[u8], bufsize: usize) -> Option<Tokens> {
    let mut t = Tokens {
        buf: [0; TIMESTAMP_BUF],
        fields: [(0, 0, FType::Number); MAXDATEFIELDS],
        nf: 0,
    };
    let mut bufp = 0usize;
    let mut cp = 0usize;
    macro_rules! append {
        ($c:expr) => {{
            if bufp + 1 >= bufsize {
                return None;
            }
            t.buf[bufp] = $c;
            bufp += 1;
        }};
    }
    while cp < s.len() {
        let c = s[cp];
        if is_space(c) {
            cp += 1;
            continue;
        }
        if t.nf >= MAXDATEFIELDS {
            return None;
        }
        let start = bufp;
        let ftype;
        if c.is_ascii_digit() {
            append!(c);
            cp += 1;
            while at(s, cp).is_ascii_digit() {
                append!(s[cp]);
                cp += 1;
            }
            if at(s, cp) == b':' {
                ftype = FType::Time;
                append!(b':');
                cp += 1;
                while matches!(at(s, cp), b'0'..=b'9' | b':' | b'.') {
                    append!(s[cp]);
                    cp += 1;
                }
            } else if matches!(at(s, cp), b'-' | b'/' | b'.') {
                let delim = s[cp];
                append!(delim);
                cp += 1;
                if at(s, cp).is_ascii_digit() {
                    let mut ft = if delim == b'.' {
                        FType::Number
                    } else {
                        FType::Date
                    };
                    while at(s, cp).is_ascii_digit() {
                        append!(s[cp]);
                        cp += 1;
                    }
                    if at(s, cp) == delim {
                        ft = FType::Date;
                        append!(delim);
                        cp += 1;
                        while at(s, cp).is_ascii_digit() || at(s, cp) == delim {
                            append!(s[cp]);
                            cp += 1;
                        }
                    }
                    ftype = ft;
                } else {
                    ftype = FType::Date;
                    while at(s, cp).is_ascii_alphanumeric() || at(s, cp) == delim {
                        append!(s[cp].to_ascii_lowercase());
                        cp += 1;
                    }
                }
            } else {
                ftype = FType::Number;
            }
        } else if c == b'.' {
            append!(c);
            cp += 1;
            while at(s, cp).is_ascii_digit() {
                append!(s[cp]);
                cp += 1;
            }
            ftype = FType::Number;
        } else if c.is_ascii_alphabetic() {
            append!(c.to_ascii_lowercase());
            cp += 1;
            while at(s, cp).is_ascii_alphabetic() {
                append!(s[cp].to_ascii_lowercase());
                cp += 1;
            }
            // A date with embedded separators, or a time zone name with punctuation; a
            // keyword followed by a digit or `+` (`t10:00`, `j2451187`) stays a keyword.
            let next = at(s, cp);
            let is_date = matches!(next, b'-' | b'/' | b'.')
                || ((next == b'+' || next.is_ascii_digit())
                    && keyword(&t.buf[start..bufp]).is_none());
            if is_date {
                loop {
                    append!(s[cp].to_ascii_lowercase());
                    cp += 1;
                    let n = at(s, cp);
                    if !(matches!(n, b'+' | b'-' | b'/' | b'_' | b'.' | b':')
                        || n.is_ascii_alphanumeric())
                    {
                        break;
                    }
                }
                ftype = FType::Date;
            } else {
                ftype = FType::String;
            }
        } else if c == b'+' || c == b'-' {
            append!(c);
            cp += 1;
            while is_space(at(s, cp)) {
                cp += 1;
            }
            if at(s, cp).is_ascii_digit() {
                ftype = FType::Tz;
                append!(s[cp]);
                cp += 1;
                while matches!(at(s, cp), b'0'..=b'9' | b':' | b'.' | b'-') {
                    append!(s[cp]);
                    cp += 1;
                }
            } else if at(s, cp).is_ascii_alphabetic() {
                ftype = FType::Special;
                append!(s[cp].to_ascii_lowercase());
                cp += 1;
                while at(s, cp).is_ascii_alphabetic() {
                    append!(s[cp].to_ascii_lowercase());
                    cp += 1;
                }
            } else {
                return None;
            }
        } else if is_punct(c) {
            cp += 1;
            continue;
        } else {
            return None;
        }
        t.fields[t.nf] = (start as u16, bufp as u16, ftype);
        t.nf += 1;
        bufp += 1; // the field's terminating NUL
    }
    Some(t)
}

/// `datetktbl`: the words date/time input knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    Reserved(Special),
    Month(i32),
    Bc(bool),
    Meridian(Meridian),
    Ignore,
    Units(Unit),
    IsoTime,
    Dow(i32),
    DstMod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Special {
    Early,
    Late,
    Epoch,
    Now,
    Today,
    Tomorrow,
    Yesterday,
    Zulu,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meridian {
    Am,
    Pm,
    Hr24,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Julian,
    /// Units date/time input does not take (`dow`, `doy`, `isodow`, `isoyear`).
    Other,
}

fn keyword(w: &[u8]) -> Option<Word> {
    use Word::*;
    Some(match w {
        b"-infinity" => Reserved(Special::Early),
        b"ad" => Bc(false),
        b"allballs" => Reserved(Special::Zulu),
        b"am" => Meridian(self::Meridian::Am),
        b"apr" | b"april" => Month(4),
        b"at" | b"on" => Ignore,
        b"aug" | b"august" => Month(8),
        b"bc" => Bc(true),
        b"d" => Units(Unit::Day),
        b"dec" | b"december" => Month(12),
        b"dow" | b"doy" | b"isodow" | b"isoyear" => Units(Unit::Other),
        b"dst" => DstMod,
        b"epoch" => Reserved(Special::Epoch),
        b"feb" | b"february" => Month(2),
        b"fri" | b"friday" => Dow(5),
        b"h" => Units(Unit::Hour),
        b"infinity" => Reserved(Special::Late),
        b"j" | b"jd" | b"julian" => Units(Unit::Julian),
        b"jan" | b"january" => Month(1),
        b"jul" | b"july" => Month(7),
        b"jun" | b"june" => Month(6),
        b"m" => Units(Unit::Month),
        b"mar" | b"march" => Month(3),
        b"may" => Month(5),
        b"mm" => Units(Unit::Minute),
        b"mon" | b"monday" => Dow(1),
        b"nov" | b"november" => Month(11),
        b"now" => Reserved(Special::Now),
        b"oct" | b"october" => Month(10),
        b"pm" => Meridian(self::Meridian::Pm),
        b"s" => Units(Unit::Second),
        b"sat" | b"saturday" => Dow(6),
        b"sep" | b"sept" | b"september" => Month(9),
        b"sun" | b"sunday" => Dow(0),
        b"t" => IsoTime,
        b"thu" | b"thur" | b"thurs" | b"thursday" => Dow(4),
        b"today" => Reserved(Special::Today),
        b"tomorrow" => Reserved(Special::Tomorrow),
        b"tue" | b"tues" | b"tuesday" => Dow(2),
        b"wed" | b"wednesday" | b"weds" => Dow(3),
        b"y" => Units(Unit::Year),
        b"yesterday" => Reserved(Special::Yesterday),
        _ => return None,
    })
}

/// The UTC spellings of the zone abbreviation sets PostgreSQL ships (`Default`, `Australia`,
/// `India` all define them as offset 0).
fn is_utc_abbrev(w: &[u8]) -> bool {
    matches!(w, b"z" | b"zulu" | b"utc" | b"gmt" | b"ut" | b"uct")
}

/// `DateStyle`'s field order for numeric dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateOrder {
    Mdy,
    Dmy,
    Ymd,
}

/// What `DecodeDateTime` gives back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Date,
    Epoch,
    Late,
    Early,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Tm {
    year: i32,
    mon: i32,
    mday: i32,
    hour: i32,
    min: i32,
    sec: i32,
    yday: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decoded {
    kind: Kind,
    tm: Tm,
    /// Microseconds (`fsec_t`), 0..=1_000_000.
    fsec: i32,
    /// Seconds west of UTC (PostgreSQL's sign), when an offset was given.
    tz: i32,
    /// No offset: the session's `TimeZone` decides.
    session_tz: bool,
    /// `now`, `today`, `tomorrow` or `yesterday` took part.
    clock: bool,
}

type R<T> = Result<T, Bad>;
const INVALID: Bad = Bad::Invalid;

struct Decoder<'t> {
    t: &'t Tokens,
    order: DateOrder,
    /// Whether a decision consulted the date order (then the other orders are tried too).
    order_used: bool,
}

impl Decoder<'_> {
    fn uses_order(&mut self) -> DateOrder {
        self.order_used = true;
        self.order
    }

    /// `DecodeDateTime`.
    fn decode(&mut self) -> R<Decoded> {
        let t = self.t;
        let mut tm = Tm::default();
        let mut fsec: i32 = 0;
        let mut tz: i32 = 0;
        let mut fmask: u32 = 0;
        let mut ptype: Option<Unit> = None;
        let mut ptype_time = false; // "t" seen: the next field is a time
        let mut mer = Meridian::Hr24;
        let mut have_text_month = false;
        let mut isjulian = false;
        let mut is2digits = false;
        let mut bc = false;
        let mut kind = Kind::Date;
        let mut clock = false;

        for i in 0..t.nf {
            let field = t.field(i);
            let mut tmask: u32;
            match t.ftype(i) {
                FType::Date => {
                    if ptype == Some(Unit::Julian) {
                        // Integral Julian day with an attached offset (`J2451187-05`).
                        let (val, used) = strtoint(field).map_err(|()| INVALID)?;
                        if val < 0 {
                            return Err(INVALID);
                        }
                        (tm.year, tm.mon, tm.mday) = j2date(val);
                        isjulian = true;
                        tz = decode_timezone(&field[used..])?;
                        tmask = DATE_M | TIME_M | m(TZ);
                        ptype = None;
                    } else if ptype.is_some()
                        || ptype_time
                        || (fmask & (m(MONTH) | m(DAY))) == (m(MONTH) | m(DAY))
                    {
                        // A time zone name with punctuation (`America/New_York`), or a
                        // run-together time with an offset (`hhmmss-zz`).
                        if field[0].is_ascii_digit() || ptype.is_some() || ptype_time {
                            if ptype.is_some() {
                                return Err(INVALID);
                            }
                            ptype_time = false;
                            if (fmask & TIME_M) == TIME_M {
                                return Err(INVALID);
                            }
                            let Some(dash) = field.iter().position(|&b| b == b'-') else {
                                return Err(INVALID);
                            };
                            tz = decode_timezone(&field[dash..])?;
                            let mut work = [0u8; TIMESTAMP_BUF];
                            work[..dash].copy_from_slice(&field[..dash]);
                            let (mask, _) = decode_number_field(
                                &mut work[..dash],
                                fmask,
                                &mut tm,
                                &mut fsec,
                                &mut is2digits,
                            )?;
                            tmask = mask | m(TZ);
                        } else {
                            return Err(Bad::Refused(Refusal::ZoneName));
                        }
                    } else {
                        tmask = self.decode_date(field, fmask, &mut is2digits, &mut tm)?;
                    }
                }
                FType::Time => {
                    if ptype.is_some() {
                        return Err(INVALID);
                    }
                    ptype_time = false;
                    tmask = TIME_M;
                    decode_time(field, &mut tm, &mut fsec)?;
                    if time_overflows(tm.hour, tm.min, tm.sec, fsec) {
                        return Err(INVALID);
                    }
                }
                FType::Tz => {
                    tz = decode_timezone(field)?;
                    tmask = m(TZ);
                }
                FType::Number if ptype.is_some() || ptype_time => {
                    // A field after a unit label (`y2001m02d04`, `j2451187`) or after `t`.
                    let (val, used) = strtoint(field).map_err(|()| INVALID)?;
                    let rest = &field[used..];
                    if rest.first() == Some(&b'.') {
                        if !(ptype_time || matches!(ptype, Some(Unit::Julian | Unit::Second))) {
                            return Err(INVALID);
                        }
                    } else if !rest.is_empty() {
                        return Err(INVALID);
                    }
                    if ptype_time {
                        let mut work = [0u8; TIMESTAMP_BUF];
                        work[..field.len()].copy_from_slice(field);
                        let (mask, _) = decode_number_field(
                            &mut work[..field.len()],
                            fmask | DATE_M,
                            &mut tm,
                            &mut fsec,
                            &mut is2digits,
                        )?;
                        if mask != TIME_M {
                            return Err(INVALID);
                        }
                        tmask = mask;
                    } else {
                        tmask = match ptype {
                            Some(Unit::Year) => {
                                tm.year = val;
                                m(YEAR)
                            }
                            Some(Unit::Month) => {
                                if fmask & m(MONTH) != 0 && fmask & m(HOUR) != 0 {
                                    tm.min = val;
                                    m(MINUTE)
                                } else {
                                    tm.mon = val;
                                    m(MONTH)
                                }
                            }
                            Some(Unit::Day) => {
                                tm.mday = val;
                                m(DAY)
                            }
                            Some(Unit::Hour) => {
                                tm.hour = val;
                                m(HOUR)
                            }
                            Some(Unit::Minute) => {
                                tm.min = val;
                                m(MINUTE)
                            }
                            Some(Unit::Second) => {
                                tm.sec = val;
                                if rest.first() == Some(&b'.') {
                                    fsec = parse_fractional_second(rest)?;
                                    ALL_SECS_M
                                } else {
                                    m(SECOND)
                                }
                            }
                            Some(Unit::Julian) => {
                                if val < 0 {
                                    return Err(INVALID);
                                }
                                (tm.year, tm.mon, tm.mday) = j2date(val);
                                isjulian = true;
                                let mut mask = DATE_M;
                                if rest.first() == Some(&b'.') {
                                    let frac = parse_fraction(rest)?;
                                    // dt2time over `(int64) (frac * USECS_PER_DAY)`.
                                    let mut time = (frac * USECS_PER_DAY as f64) as i64;
                                    tm.hour = (time / 3_600_000_000) as i32;
                                    time -= i64::from(tm.hour) * 3_600_000_000;
                                    tm.min = (time / 60_000_000) as i32;
                                    time -= i64::from(tm.min) * 60_000_000;
                                    tm.sec = (time / USECS_PER_SEC) as i32;
                                    fsec = (time - i64::from(tm.sec) * USECS_PER_SEC) as i32;
                                    mask |= TIME_M;
                                }
                                mask
                            }
                            _ => return Err(INVALID),
                        };
                    }
                    ptype = None;
                    ptype_time = false;
                    kind = Kind::Date;
                }
                FType::Number => {
                    let flen = field.len();
                    let dot = field.iter().position(|&b| b == b'.');
                    let mut work = [0u8; TIMESTAMP_BUF];
                    work[..flen].copy_from_slice(field);
                    let work = &mut work[..flen];
                    if dot.is_some() && fmask & DATE_M == 0 {
                        tmask = self.decode_date(field, fmask, &mut is2digits, &mut tm)?;
                    } else if dot.is_some_and(|d| d > 2)
                        || (flen >= 6 && (fmask & DATE_M == 0 || fmask & TIME_M == 0))
                    {
                        // A run-together date or time (`20011223`, `040506.789`).
                        tmask =
                            decode_number_field(work, fmask, &mut tm, &mut fsec, &mut is2digits)?.0;
                    } else {
                        tmask = self.decode_number(
                            work,
                            have_text_month,
                            fmask,
                            &mut tm,
                            &mut fsec,
                            &mut is2digits,
                        )?;
                    }
                }
                FType::String | FType::Special => {
                    // Zone abbreviations take precedence over the keywords; only the UTC
                    // spellings are read, every other abbreviation or name is refused.
                    if is_utc_abbrev(field) {
                        tz = 0;
                        tmask = m(TZ);
                    } else {
                        let Some(word) = keyword(field) else {
                            return Err(Bad::Refused(Refusal::ZoneName));
                        };
                        tmask = 0;
                        match word {
                            Word::Ignore => continue,
                            Word::Reserved(sp) => {
                                tmask = m(RESERV);
                                match sp {
                                    Special::Now => {
                                        tmask = DATE_M | TIME_M | m(TZ);
                                        kind = Kind::Date;
                                        clock = true;
                                        (tm.year, tm.mon, tm.mday) = (2000, 1, 1);
                                        (tm.hour, tm.min, tm.sec, fsec, tz) = (0, 0, 0, 0, 0);
                                    }
                                    Special::Today | Special::Tomorrow | Special::Yesterday => {
                                        tmask = DATE_M;
                                        kind = Kind::Date;
                                        clock = true;
                                        (tm.year, tm.mon, tm.mday) = (2000, 1, 1);
                                    }
                                    Special::Zulu => {
                                        tmask = TIME_M | m(TZ);
                                        kind = Kind::Date;
                                        (tm.hour, tm.min, tm.sec, tz) = (0, 0, 0, 0);
                                    }
                                    Special::Epoch => kind = Kind::Epoch,
                                    Special::Late => kind = Kind::Late,
                                    Special::Early => kind = Kind::Early,
                                }
                            }
                            Word::Month(val) => {
                                tmask = m(MONTH);
                                if fmask & m(MONTH) != 0
                                    && !have_text_month
                                    && fmask & m(DAY) == 0
                                    && (1..=31).contains(&tm.mon)
                                {
                                    tm.mday = tm.mon;
                                    tmask = m(DAY);
                                }
                                have_text_month = true;
                                tm.mon = val;
                            }
                            Word::DstMod => {
                                tmask = m(DTZMOD) | m(DTZ);
                                tz -= 3600;
                            }
                            Word::Meridian(v) => {
                                tmask = m(AMPM);
                                mer = v;
                            }
                            Word::Bc(v) => {
                                tmask = m(ADBC);
                                bc = v;
                            }
                            Word::Dow(_) => tmask = m(DOW),
                            Word::Units(u) => {
                                ptype = Some(u);
                                ptype_time = false;
                            }
                            Word::IsoTime => {
                                if fmask & DATE_M != DATE_M {
                                    return Err(INVALID);
                                }
                                if i + 1 >= t.nf
                                    || !matches!(
                                        t.ftype(i + 1),
                                        FType::Number | FType::Time | FType::Date
                                    )
                                {
                                    return Err(INVALID);
                                }
                                ptype = None;
                                ptype_time = true;
                            }
                        }
                    }
                }
            }
            if tmask & fmask != 0 {
                return Err(INVALID);
            }
            fmask |= tmask;
        }

        validate_date(fmask, isjulian, is2digits, bc, &mut tm)?;

        if mer != Meridian::Hr24 && tm.hour > 12 {
            return Err(INVALID);
        }
        if mer == Meridian::Am && tm.hour == 12 {
            tm.hour = 0;
        } else if mer == Meridian::Pm && tm.hour != 12 {
            tm.hour += 12;
        }

        let mut session_tz = false;
        if kind == Kind::Date {
            if fmask & DATE_M != DATE_M {
                return Err(INVALID);
            }
            if fmask & m(TZ) == 0 {
                if fmask & m(DTZMOD) != 0 {
                    return Err(INVALID);
                }
                session_tz = true;
            }
        }
        Ok(Decoded {
            kind,
            tm,
            fsec,
            tz,
            session_tz,
            clock,
        })
    }

    /// `DecodeDate`: a date field with embedded separators (`2024-01-31`, `1999-jan-08`,
    /// `2024.032`).
    fn decode_date(
        &mut self,
        field: &[u8],
        mut fmask: u32,
        is2digits: &mut bool,
        tm: &mut Tm,
    ) -> R<u32> {
        let mut buf = [0u8; TIMESTAMP_BUF];
        buf[..field.len()].copy_from_slice(field);
        let s = &mut buf[..field.len()];
        let mut parts: [(usize, usize); MAXDATEFIELDS] = [(0, 0); MAXDATEFIELDS];
        let mut nf = 0;
        let mut p = 0;
        let mut have_text_month = false;
        let mut tmask = 0u32;
        // The string is cut in place, as the C code does with NULs: the byte after each
        // field is overwritten, whatever it is.
        while at(s, p) != 0 && nf < MAXDATEFIELDS {
            while at(s, p) != 0 && !at(s, p).is_ascii_alphanumeric() {
                p += 1;
            }
            if at(s, p) == 0 {
                return Err(INVALID);
            }
            let start = p;
            if s[p].is_ascii_digit() {
                while at(s, p).is_ascii_digit() {
                    p += 1;
                }
            } else {
                while at(s, p).is_ascii_alphabetic() {
                    p += 1;
                }
            }
            parts[nf] = (start, p);
            nf += 1;
            if at(s, p) != 0 {
                s[p] = 0;
                p += 1;
            }
        }
        let mut done = [false; MAXDATEFIELDS];
        for i in 0..nf {
            let (a, b) = parts[i];
            if s[a].is_ascii_alphabetic() {
                let dmask = match keyword(&s[a..b]) {
                    Some(Word::Ignore) => continue,
                    Some(Word::Month(v)) => {
                        tm.mon = v;
                        have_text_month = true;
                        m(MONTH)
                    }
                    _ => return Err(INVALID),
                };
                if fmask & dmask != 0 {
                    return Err(INVALID);
                }
                fmask |= dmask;
                tmask |= dmask;
                done[i] = true;
            }
        }
        for i in 0..nf {
            if done[i] {
                continue;
            }
            let (a, b) = parts[i];
            if b == a {
                return Err(INVALID);
            }
            let mut dummy = 0;
            let dmask = self.decode_number(
                &mut s[a..b],
                have_text_month,
                fmask,
                tm,
                &mut dummy,
                is2digits,
            )?;
            if fmask & dmask != 0 {
                return Err(INVALID);
            }
            fmask |= dmask;
            tmask |= dmask;
        }
        if fmask & !(m(DOY) | m(TZ)) != DATE_M {
            return Err(INVALID);
        }
        Ok(tmask)
    }

    /// `DecodeNumber`: one numeric field, placed by what is known so far.
    fn decode_number(
        &mut self,
        s: &mut [u8],
        have_text_month: bool,
        fmask: u32,
        tm: &mut Tm,
        fsec: &mut i32,
        is2digits: &mut bool,
    ) -> R<u32> {
        let flen = s.len();
        let (val, used) = strtoint(s).map_err(|()| INVALID)?;
        if used == 0 {
            return Err(INVALID);
        }
        if at(s, used) == b'.' {
            if used > 2 {
                let mask = decode_number_field(s, fmask | DATE_M, tm, fsec, is2digits)?.0;
                return Ok(mask);
            }
            *fsec = parse_fractional_second(&s[used..])?;
        } else if used != flen {
            return Err(INVALID);
        }
        if flen == 3 && fmask & DATE_M == m(YEAR) && (1..=366).contains(&val) {
            tm.yday = val;
            return Ok(m(DOY) | m(MONTH) | m(DAY));
        }
        let tmask = match fmask & DATE_M {
            0 => {
                if flen >= 3 || self.uses_order() == DateOrder::Ymd {
                    tm.year = val;
                    m(YEAR)
                } else if self.order == DateOrder::Dmy {
                    tm.mday = val;
                    m(DAY)
                } else {
                    tm.mon = val;
                    m(MONTH)
                }
            }
            x if x == m(YEAR) => {
                tm.mon = val;
                m(MONTH)
            }
            x if x == m(MONTH) => {
                if have_text_month {
                    if flen >= 3 || self.uses_order() == DateOrder::Ymd {
                        tm.year = val;
                        m(YEAR)
                    } else {
                        tm.mday = val;
                        m(DAY)
                    }
                } else {
                    tm.mday = val;
                    m(DAY)
                }
            }
            x if x == m(YEAR) | m(MONTH) => {
                if have_text_month && flen >= 3 && *is2digits {
                    tm.mday = tm.year;
                    tm.year = val;
                    *is2digits = false;
                } else {
                    tm.mday = val;
                }
                m(DAY)
            }
            x if x == m(DAY) => {
                tm.mon = val;
                m(MONTH)
            }
            x if x == m(MONTH) | m(DAY) => {
                tm.year = val;
                m(YEAR)
            }
            DATE_M => return Ok(decode_number_field(s, fmask, tm, fsec, is2digits)?.0),
            _ => return Err(INVALID),
        };
        if tmask == m(YEAR) {
            *is2digits = flen <= 2;
        }
        Ok(tmask)
    }
}

/// `DecodeNumberField`: a run-together date (`20240131`, `240131`) or time (`103000`,
/// `1030`), with an optional fraction. Returns the mask it set.
fn decode_number_field(
    s: &mut [u8],
    fmask: u32,
    tm: &mut Tm,
    fsec: &mut i32,
    is2digits: &mut bool,
) -> R<(u32, bool)> {
    let mut len = s.len();
    if let Some(dot) = s.iter().position(|&b| b == b'.') {
        if dot + 1 == s.len() {
            *fsec = 0;
        } else {
            // strtod(cp, NULL): trailing junk after the digits is ignored.
            let (frac, _) = fraction(&s[dot..]).ok_or(INVALID)?;
            *fsec = rint(frac * 1_000_000.0) as i32;
        }
        len = dot;
    } else if fmask & DATE_M != DATE_M && len >= 6 {
        let s = &s[..len];
        tm.mday = atoi(&s[len - 2..]);
        tm.mon = atoi(&s[len - 4..len - 2]);
        tm.year = atoi(&s[..len - 4]);
        if len - 4 == 2 {
            *is2digits = true;
        }
        return Ok((DATE_M, true));
    }
    if fmask & TIME_M != TIME_M {
        let s = &s[..len];
        if len == 6 {
            tm.sec = atoi(&s[4..]);
            tm.min = atoi(&s[2..4]);
            tm.hour = atoi(&s[..2]);
            return Ok((TIME_M, false));
        } else if len == 4 {
            tm.sec = 0;
            tm.min = atoi(&s[2..]);
            tm.hour = atoi(&s[..2]);
            return Ok((TIME_M, false));
        }
    }
    Err(INVALID)
}

/// `ParseFraction`: `.` and optional digits, nothing after them.
fn parse_fraction(s: &[u8]) -> R<f64> {
    if s == b"." {
        return Ok(0.0);
    }
    let (frac, used) = fraction(s).ok_or(INVALID)?;
    if used != s.len() {
        return Err(INVALID);
    }
    Ok(frac)
}

/// `ParseFractionalSecond`: [`parse_fraction`] in microseconds.
fn parse_fractional_second(s: &[u8]) -> R<i32> {
    Ok(rint(parse_fraction(s)? * 1_000_000.0) as i32)
}

/// `DecodeTime`: `hh:mm`, `hh:mm:ss[.fff]` or `mm:ss.fff`.
fn decode_time(s: &[u8], tm: &mut Tm, fsec: &mut i32) -> R<()> {
    let (hour, used) = strtoint(s).map_err(|()| INVALID)?;
    tm.hour = hour;
    let mut cp = used;
    if at(s, cp) != b':' {
        return Err(INVALID);
    }
    let (min, used) = strtoint(&s[cp + 1..]).map_err(|()| INVALID)?;
    tm.min = min;
    // strtol leaves the end pointer at its start when it reads no digits.
    cp = if used == 0 { cp + 1 } else { cp + 1 + used };
    match at(s, cp) {
        0 => {
            tm.sec = 0;
            *fsec = 0;
        }
        b'.' => {
            *fsec = parse_fractional_second(&s[cp..])?;
            tm.sec = tm.min;
            tm.min = tm.hour;
            tm.hour = 0;
        }
        b':' => {
            let (sec, used) = strtoint(&s[cp + 1..]).map_err(|()| INVALID)?;
            tm.sec = sec;
            cp = if used == 0 { cp + 1 } else { cp + 1 + used };
            match at(s, cp) {
                0 => *fsec = 0,
                b'.' => *fsec = parse_fractional_second(&s[cp..])?,
                _ => return Err(INVALID),
            }
        }
        _ => return Err(INVALID),
    }
    if tm.hour < 0
        || tm.min < 0
        || tm.min > 59
        || tm.sec < 0
        || tm.sec > 60
        || *fsec < 0
        || i64::from(*fsec) > USECS_PER_SEC
    {
        return Err(INVALID);
    }
    Ok(())
}

fn time_overflows(hour: i32, min: i32, sec: i32, fsec: i32) -> bool {
    if !(0..=24).contains(&hour)
        || !(0..60).contains(&min)
        || !(0..=60).contains(&sec)
        || fsec < 0
        || i64::from(fsec) > USECS_PER_SEC
    {
        return true;
    }
    ((i64::from(hour) * 60 + i64::from(min)) * 60 + i64::from(sec)) * USECS_PER_SEC
        + i64::from(fsec)
        > USECS_PER_DAY
}

/// `DecodeTimezone`: `±hh`, `±hhmm`, `±hh:mm`, `±hh:mm:ss`; seconds west of UTC.
fn decode_timezone(s: &[u8]) -> R<i32> {
    let neg = match s.first() {
        Some(b'+') => false,
        Some(b'-') => true,
        _ => return Err(INVALID),
    };
    let body = &s[1..];
    let (mut hr, used) = strtoint(body).map_err(|()| INVALID)?;
    let mut cp = 1 + used;
    let mut sec = 0;
    let min;
    if at(s, cp) == b':' {
        let (mi, used) = strtoint(&s[cp + 1..]).map_err(|()| INVALID)?;
        min = mi;
        cp = if used == 0 { cp + 1 } else { cp + 1 + used };
        if at(s, cp) == b':' {
            let (se, used) = strtoint(&s[cp + 1..]).map_err(|()| INVALID)?;
            sec = se;
            cp = if used == 0 { cp + 1 } else { cp + 1 + used };
        }
    } else if at(s, cp) == 0 && s.len() > 3 {
        min = hr % 100;
        hr /= 100;
    } else {
        min = 0;
    }
    if !(0..=MAX_TZDISP_HOUR).contains(&hr) || !(0..60).contains(&min) || !(0..60).contains(&sec) {
        return Err(INVALID);
    }
    let mut tz = (hr * 60 + min) * 60 + sec;
    if neg {
        tz = -tz;
    }
    if at(s, cp) != 0 {
        return Err(INVALID);
    }
    Ok(-tz)
}

fn is_leap(y: i32) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

const DAY_TAB: [[i32; 12]; 2] = [
    [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
    [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
];

/// `ValidateDate`: year conventions (BC, two-digit years, day of year) and calendar checks.
fn validate_date(fmask: u32, isjulian: bool, is2digits: bool, bc: bool, tm: &mut Tm) -> R<()> {
    if fmask & m(YEAR) != 0 {
        if isjulian {
        } else if bc {
            if tm.year <= 0 {
                return Err(INVALID);
            }
            tm.year = -(tm.year - 1);
        } else if is2digits {
            if tm.year < 0 {
                return Err(INVALID);
            }
            if tm.year < 70 {
                tm.year += 2000;
            } else if tm.year < 100 {
                tm.year += 1900;
            }
        } else if tm.year <= 0 {
            return Err(INVALID);
        }
    }
    if fmask & m(DOY) != 0 {
        let j = date2j(tm.year, 1, 1).wrapping_add(tm.yday).wrapping_sub(1);
        (tm.year, tm.mon, tm.mday) = j2date(j);
    }
    if fmask & m(MONTH) != 0 && !(1..=12).contains(&tm.mon) {
        return Err(INVALID);
    }
    if fmask & m(DAY) != 0 && !(1..=31).contains(&tm.mday) {
        return Err(INVALID);
    }
    if fmask & DATE_M == DATE_M
        && tm.mday > DAY_TAB[usize::from(is_leap(tm.year))][(tm.mon - 1) as usize]
    {
        return Err(INVALID);
    }
    Ok(())
}

/// `date2j`: the Julian day of a (proleptic Gregorian) date, with C `int` arithmetic.
fn date2j(y: i32, m: i32, d: i32) -> i32 {
    let (mut y, mut m) = (y, m);
    if m > 2 {
        m += 1;
        y = y.wrapping_add(4800);
    } else {
        m += 13;
        y = y.wrapping_add(4799);
    }
    let century = y / 100;
    let mut julian = y.wrapping_mul(365).wrapping_sub(32167);
    julian = julian
        .wrapping_add(y / 4)
        .wrapping_sub(century)
        .wrapping_add(century / 4);
    julian.wrapping_add(7834 * m / 256).wrapping_add(d)
}

/// `j2date`: the date of a Julian day (unsigned arithmetic, as in C).
fn j2date(jd: i32) -> (i32, i32, i32) {
    let mut julian = (jd as u32).wrapping_add(32044);
    let mut quad = julian / 146_097;
    let extra = (julian.wrapping_sub(quad.wrapping_mul(146_097)))
        .wrapping_mul(4)
        .wrapping_add(3);
    julian = julian
        .wrapping_add(60)
        .wrapping_add(quad.wrapping_mul(3))
        .wrapping_add(extra / 146_097);
    quad = julian / 1461;
    julian = julian.wrapping_sub(quad.wrapping_mul(1461));
    let mut y = (julian.wrapping_mul(4) / 1461) as i32;
    julian = if y != 0 {
        (julian + 305) % 365
    } else {
        (julian + 306) % 366
    } + 123;
    y = y.wrapping_add((quad.wrapping_mul(4)) as i32);
    let year = y.wrapping_sub(4800);
    let q = julian.wrapping_mul(2141) / 65536;
    let day = julian.wrapping_sub(7834 * q / 256) as i32;
    let month = ((q + 10) % 12 + 1) as i32;
    (year, month, day)
}

/// `IS_VALID_JULIAN`: within 4714-11-24 BC .. 5874898-06-01.
fn is_valid_julian(y: i32, m: i32) -> bool {
    (y > -4713 || (y == -4713 && m >= 11)) && (y < 5_874_898 || (y == 5_874_898 && m < 6))
}

/// Decodes `s` under every `DateStyle` order its fields consult; all must agree.
fn decode(s: &str, bufsize: usize) -> R<Decoded> {
    if !s.is_ascii() {
        // Bytes past ASCII are neither spaces, letters, digits nor punctuation to PostgreSQL.
        return Err(INVALID);
    }
    let t = tokenize(s.as_bytes(), bufsize).ok_or(INVALID)?;
    let mut d = Decoder {
        t: &t,
        order: DateOrder::Mdy,
        order_used: false,
    };
    let first = d.decode();
    if !d.order_used {
        return first;
    }
    // The value a decoding names: for epoch and infinities, the fields do not matter.
    let value = |r: R<Decoded>| {
        r.map(|d| match d.kind {
            Kind::Date => d,
            kind => Decoded {
                kind,
                tm: Tm::default(),
                fsec: 0,
                tz: 0,
                session_tz: false,
                clock: false,
            },
        })
    };
    let first = value(first);
    let others = [DateOrder::Dmy, DateOrder::Ymd].map(|order| {
        value(
            Decoder {
                t: &t,
                order,
                order_used: false,
            }
            .decode(),
        )
    });
    if others.iter().all(|o| *o == first) {
        return first;
    }
    // PostgreSQL accepts what we refuse for a reason, so a string that some order accepts
    // depends on DateStyle.
    let accepted = |r: &R<Decoded>| matches!(r, Ok(_) | Err(Bad::Refused(_)));
    if accepted(&first) || others.iter().any(accepted) {
        Err(Bad::Refused(Refusal::DateStyle))
    } else {
        first
    }
}

/// The date a decoded value names, as `date_in` computes it (Julian day, checked range).
fn julian_of(d: &Decoded) -> R<i32> {
    if !is_valid_julian(d.tm.year, d.tm.mon) {
        return Err(INVALID);
    }
    let date = date2j(d.tm.year, d.tm.mon, d.tm.mday) - POSTGRES_EPOCH_JDATE;
    if !(-POSTGRES_EPOCH_JDATE..DATE_END_JULIAN - POSTGRES_EPOCH_JDATE).contains(&date) {
        return Err(INVALID);
    }
    Ok(date + POSTGRES_EPOCH_JDATE)
}

/// A `date` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum DateValue {
    NegInfinity,
    /// A Julian day.
    Day(i32),
    Infinity,
}

/// `date_in`, with `bufsize` the work buffer of the caller (ranges pass their bound text to
/// `date_in` too). Clock words and zone names are refused; the rest is PostgreSQL's value.
pub(crate) fn date_bound(s: &str) -> R<DateValue> {
    match iso_day(s.as_bytes()) {
        Some(j) => Ok(DateValue::Day(j)),
        None => date_bound_full(s),
    }
}

fn date_bound_full(s: &str) -> R<DateValue> {
    let d = decode(s, DATE_BUF)?;
    if d.clock {
        return Err(Bad::Refused(Refusal::Clock));
    }
    Ok(match d.kind {
        Kind::Date => DateValue::Day(julian_of(&d)?),
        Kind::Epoch => DateValue::Day(UNIX_EPOCH_JDATE),
        Kind::Late => DateValue::Infinity,
        Kind::Early => DateValue::NegInfinity,
    })
}

/// A `date` operand: PostgreSQL's value as `YYYY-MM-DD`, refused when Python's `date` (years
/// 1 to 9999, no infinity) cannot hold it.
pub(crate) fn date(s: &str) -> R<String> {
    if s.len() == 10 && iso_date(s.as_bytes()).is_some() {
        // `YYYY-MM-DD` as PostgreSQL reads it is its own canonical form.
        return Ok(s.to_owned());
    }
    match date_bound_full(s)? {
        DateValue::Day(j) => {
            let (y, m, d) = j2date(j);
            if !(1..=9999).contains(&y) {
                return Err(Bad::Refused(Refusal::YearRange));
            }
            let mut out = String::with_capacity(10);
            push_ymd(&mut out, y, m, d);
            Ok(out)
        }
        DateValue::Infinity | DateValue::NegInfinity => Err(Bad::Refused(Refusal::Infinite)),
    }
}

/// PostgreSQL's ISO output of a date: `YYYY-MM-DD`, `YYYY-MM-DD BC`, `infinity`.
pub(crate) fn write_date(out: &mut String, v: DateValue) {
    match v {
        DateValue::NegInfinity => out.push_str("-infinity"),
        DateValue::Infinity => out.push_str("infinity"),
        DateValue::Day(j) => {
            let (y, m, d) = j2date(j);
            push_ymd(out, if y > 0 { y } else { 1 - y }, m, d);
            if y <= 0 {
                out.push_str(" BC");
            }
        }
    }
}

/// Whether `v` is a date before year 1 (written with ` BC`).
pub(crate) fn is_bc(v: DateValue) -> bool {
    matches!(v, DateValue::Day(j) if j2date(j).0 <= 0)
}

/// The day after `v` (`date_pli(v, 1)`), `None` past the last valid date.
pub(crate) fn next_day(v: DateValue) -> Option<DateValue> {
    match v {
        DateValue::Day(j) => {
            let next = j + 1;
            (next < DATE_END_JULIAN).then_some(DateValue::Day(next))
        }
        other => Some(other),
    }
}

/// `v` in decimal, zero-padded to `width` digits (no formatter: this is on the hot path).
fn push_padded(out: &mut String, v: u32, width: usize) {
    let mut buf = [b'0'; 10];
    let mut n = v;
    let mut len = 0;
    while n > 0 || len == 0 {
        buf[9 - len] = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
    }
    for _ in len..width {
        out.push('0');
    }
    for &c in &buf[10 - len..] {
        out.push(char::from(c));
    }
}

fn push_ymd(out: &mut String, y: i32, m: i32, d: i32) {
    if y.unsigned_abs() > 9999 {
        push_padded(out, y.unsigned_abs(), 4);
    } else {
        let mut buf = *b"0000";
        put_digits(&mut buf, y.unsigned_abs());
        out.push_str(ascii(&buf));
    }
    let mut buf = *b"-00-00";
    put_digits(&mut buf[1..3], m.unsigned_abs());
    put_digits(&mut buf[4..6], d.unsigned_abs());
    out.push_str(ascii(&buf));
}

/// `tm2timestamp`: microseconds since 2000-01-01 00:00 UTC, `None` out of range.
fn tm2timestamp(d: &Decoded) -> Option<i64> {
    let tm = &d.tm;
    if !is_valid_julian(tm.year, tm.mon) {
        return None;
    }
    let date = i64::from(date2j(tm.year, tm.mon, tm.mday) - POSTGRES_EPOCH_JDATE);
    // time2t: the seconds part is computed in C `int`.
    let secs = tm
        .hour
        .wrapping_mul(60)
        .wrapping_add(tm.min)
        .wrapping_mul(60)
        .wrapping_add(tm.sec);
    let time = i64::from(secs)
        .wrapping_mul(USECS_PER_SEC)
        .wrapping_add(i64::from(d.fsec));
    let result = date.wrapping_mul(USECS_PER_DAY).wrapping_add(time);
    if result.wrapping_sub(time) / USECS_PER_DAY != date {
        return None;
    }
    if (result < 0 && date > 0) || (result > 0 && date < -1) {
        return None;
    }
    let result = result.wrapping_add(i64::from(d.tz).wrapping_mul(USECS_PER_SEC));
    (MIN_TIMESTAMP..END_TIMESTAMP)
        .contains(&result)
        .then_some(result)
}

/// A `timestamptz` operand: the instant PostgreSQL reads, as
/// `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00` (UTC, six fraction digits when there is a fraction).
pub(crate) fn timestamptz(s: &str) -> R<String> {
    match iso_timestamp(s.as_bytes()) {
        Some(micros) => utc_text(micros),
        None => timestamptz_full(s),
    }
}

/// Two ASCII digits.
fn digits2(b: &[u8]) -> Option<i32> {
    match b {
        [a @ b'0'..=b'9', c @ b'0'..=b'9'] => Some(i32::from(a - b'0') * 10 + i32::from(c - b'0')),
        _ => None,
    }
}

/// The hot path's `YYYY-MM-DD` (a four-digit year from 0001 and a real calendar day), which
/// the full decoder reads as exactly that date whatever the session's settings.
fn iso_date(b: &[u8]) -> Option<(i32, i32, i32)> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = digits2(&b[0..2])? * 100 + digits2(&b[2..4])?;
    let (m, d) = (digits2(&b[5..7])?, digits2(&b[8..10])?);
    let ok = y > 0
        && (1..=12).contains(&m)
        && d >= 1
        && d <= DAY_TAB[usize::from(is_leap(y))][(m - 1) as usize];
    ok.then_some((y, m, d))
}

/// The Julian day of an exact [`iso_date`] (nothing before or after it).
pub(crate) fn iso_day(b: &[u8]) -> Option<i32> {
    if b.len() != 10 {
        return None;
    }
    iso_date(b).map(|(y, m, d)| date2j(y, m, d))
}

/// The hot path's ISO 8601 timestamps: an [`iso_date`], `T`/`t`/space, `HH:MM[:SS[.f]]`
/// (hours 0-23, at most six fraction digits) and `Z`/`z`, `±HH`, `±HHMM` or `±HH:MM` (up to
/// 15:59): microseconds since 2000-01-01 UTC, as the full decoder computes them (the tests
/// hold the two to the same answers). Anything else is `None` and takes the full decoder.
fn iso_timestamp(b: &[u8]) -> Option<i64> {
    let (y, mo, d) = iso_date(b)?;
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (h, mi) = (digits2(b.get(11..13)?)?, digits2(b.get(14..16)?)?);
    let mut i = 16;
    let (mut sec, mut fsec) = (0, 0i64);
    if b.get(i) == Some(&b':') {
        sec = digits2(b.get(i + 1..i + 3)?)?;
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            if end == start || end - start > 6 {
                return None;
            }
            for (k, &c) in b[start..end].iter().enumerate() {
                fsec += i64::from(c - b'0') * 10i64.pow(5 - k as u32);
            }
            i = end;
        }
    }
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let west: i64 = match &b[i..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), zone @ ..] => {
            let (zh, zm) = match zone {
                [_, _] => (digits2(zone)?, 0),
                [a, b2, c, d2] => (digits2(&[*a, *b2])?, digits2(&[*c, *d2])?),
                [a, b2, b':', c, d2] => (digits2(&[*a, *b2])?, digits2(&[*c, *d2])?),
                _ => return None,
            };
            if zh > MAX_TZDISP_HOUR || zm > 59 {
                return None;
            }
            let east = i64::from(zh * 3600 + zm * 60);
            if *sign == b'+' { -east } else { east }
        }
        _ => return None,
    };
    let days = i64::from(date2j(y, mo, d) - POSTGRES_EPOCH_JDATE);
    let time = i64::from((h * 60 + mi) * 60 + sec) * USECS_PER_SEC + fsec;
    Some(days * USECS_PER_DAY + time + west * USECS_PER_SEC)
}

fn timestamptz_full(s: &str) -> R<String> {
    let d = decode(s, TIMESTAMP_BUF)?;
    if d.clock {
        return Err(Bad::Refused(Refusal::Clock));
    }
    let micros = match d.kind {
        Kind::Date => {
            if d.session_tz {
                return Err(Bad::Refused(Refusal::TimeZone));
            }
            tm2timestamp(&d).ok_or(INVALID)?
        }
        Kind::Epoch => -i64::from(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY,
        Kind::Late | Kind::Early => return Err(Bad::Refused(Refusal::Infinite)),
    };
    utc_text(micros)
}

/// `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00` for microseconds since 2000-01-01 UTC; years
/// outside 1 to 9999 are refused (Python's `datetime`).
fn utc_text(micros: i64) -> R<String> {
    let days = micros.div_euclid(USECS_PER_DAY);
    let rem = micros.rem_euclid(USECS_PER_DAY);
    let (y, mo, da) = j2date((days + i64::from(POSTGRES_EPOCH_JDATE)) as i32);
    if !(1..=9999).contains(&y) {
        return Err(Bad::Refused(Refusal::YearRange));
    }
    let secs = rem / USECS_PER_SEC;
    let frac = rem % USECS_PER_SEC;
    let mut buf = *b"0000-00-00T00:00:00.000000+00:00";
    put_digits(&mut buf[0..4], y as u32);
    put_digits(&mut buf[5..7], mo as u32);
    put_digits(&mut buf[8..10], da as u32);
    put_digits(&mut buf[11..13], (secs / 3600) as u32);
    put_digits(&mut buf[14..16], (secs / 60 % 60) as u32);
    put_digits(&mut buf[17..19], (secs % 60) as u32);
    let mut out = String::with_capacity(32);
    if frac == 0 {
        out.push_str(ascii(&buf[..19]));
    } else {
        put_digits(&mut buf[20..26], frac as u32);
        out.push_str(ascii(&buf[..26]));
    }
    out.push_str("+00:00");
    Ok(out)
}

/// `v` in decimal into `buf`, zero-padded to its length.
fn put_digits(buf: &mut [u8], mut v: u32) {
    for c in buf.iter_mut().rev() {
        *c = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Text made of ASCII digits and punctuation.
fn ascii(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Result<String, Bad> {
        timestamptz(s)
    }

    #[test]
    fn timestamps() {
        let ok = |s: &str, want: &str| assert_eq!(ts(s).as_deref(), Ok(want), "{s}");
        ok("2024-01-31T10:00:00Z", "2024-01-31T10:00:00+00:00");
        ok(
            "2024-01-31 10:00:00.123+02:00",
            "2024-01-31T08:00:00.123000+00:00",
        );
        ok("2024-01-31T10:00+0530", "2024-01-31T04:30:00+00:00");
        ok("1999-01-08 04:05:06 +5:3", "1999-01-07T23:02:06+00:00");
        ok("1999-01-08 24:00+00", "1999-01-09T00:00:00+00:00");
        ok("1999-01-08 23:59:60 z", "1999-01-09T00:00:00+00:00");
        ok("J2451187 10:00+00", "1999-01-08T10:00:00+00:00");
        ok("20240131 103000.5+0530", "2024-01-31T05:00:00.500000+00:00");
        ok("2024-01-01 10:00 +01 dst", "2024-01-01T08:00:00+00:00");
        ok("2024-01-01T256000+00", "2024-01-02T02:00:00+00:00");
        ok("y2001m02d04 h10mm20s5 utc", "2001-02-04T10:20:05+00:00");
        ok("2024-01-01 allballs", "2024-01-01T00:00:00+00:00");
        ok("epoch", "1970-01-01T00:00:00+00:00");
        ok("Jan 8 1999 04:05 GMT", "1999-01-08T04:05:00+00:00");
        ok(
            "1999-01-08 04:05:59.9999995+00",
            "1999-01-08T04:06:00+00:00",
        );
        let bad = |s: &str, want: Bad| assert_eq!(ts(s), Err(want), "{s}");
        bad("2024-01-31T10:00:00", Bad::Refused(Refusal::TimeZone));
        bad("now", Bad::Refused(Refusal::Clock));
        bad("today 10:00+02", Bad::Refused(Refusal::Clock));
        bad(
            "2024-01-01 10:00 America/New_York",
            Bad::Refused(Refusal::ZoneName),
        );
        bad("2024-01-01 10:00 PST", Bad::Refused(Refusal::ZoneName));
        bad("01/02/03 10:00+00", Bad::Refused(Refusal::DateStyle));
        bad("infinity", Bad::Refused(Refusal::Infinite));
        bad("0044-03-15 BC 10:00+00", Bad::Refused(Refusal::YearRange));
        bad("10:00 2024-01-01 +00", Bad::Invalid);
        bad("epoch 2024-01-01", Bad::Invalid);
        bad("1999-01-08 23:59:60.5+00", Bad::Invalid);
        bad("1999-01-08 04:05:06 +16", Bad::Invalid);
        bad("2024-02-30 10:00+00", Bad::Invalid);
        bad("Jan 8 1999 4pm +00", Bad::Invalid);
        bad("6035-11-0\u{da}1T12:00:00+02:00", Bad::Invalid);
        bad("", Bad::Invalid);
    }

    #[test]
    fn dates() {
        assert_eq!(date("2024-02-29").as_deref(), Ok("2024-02-29"));
        assert_eq!(date(" 1999-Jan-08 ").as_deref(), Ok("1999-01-08"));
        assert_eq!(date("Jan 8, 1999").as_deref(), Ok("1999-01-08"));
        assert_eq!(date("19990108").as_deref(), Ok("1999-01-08"));
        assert_eq!(date("1999.008").as_deref(), Ok("1999-01-08"));
        assert_eq!(date("2024-01-01 10:00 +02").as_deref(), Ok("2024-01-01"));
        assert_eq!(date("2023-02-29"), Err(Bad::Invalid));
        assert_eq!(date("1/8/1999"), Err(Bad::Refused(Refusal::DateStyle)));
        assert_eq!(date("1/18/1999"), Err(Bad::Refused(Refusal::DateStyle)));
        assert_eq!(date("10000-01-01"), Err(Bad::Refused(Refusal::YearRange)));
        assert_eq!(date("today"), Err(Bad::Refused(Refusal::Clock)));
        let mut s = String::new();
        write_date(
            &mut s,
            date_bound("0044-03-15 BC").unwrap_or(DateValue::Infinity),
        );
        assert_eq!(s, "0044-03-15 BC");
    }

    #[test]
    fn fast_paths_agree_with_the_decoder() {
        // Every shape the fast paths take, with edge values, against the full decoder.
        let mut n = 0;
        for date in [
            "0001-01-01",
            "1999-12-31",
            "2000-02-29",
            "2023-02-28",
            "9999-12-31",
        ] {
            assert_eq!(date_bound(date), date_bound_full(date), "{date}");
            assert_eq!(
                Ok(date.to_owned()),
                match date_bound_full(date) {
                    Ok(DateValue::Day(j)) => {
                        let (y, m, d) = j2date(j);
                        let mut s = String::new();
                        push_ymd(&mut s, y, m, d);
                        Ok(s)
                    }
                    other => Err(other),
                },
                "{date}"
            );
            for sep in ["T", "t", " "] {
                for time in ["00:00", "23:59", "10:00:00", "23:59:59", "12:34:56.5"] {
                    for frac in ["", ".000001", ".123456", ".999999", ".1"] {
                        let time = if time.len() == 8 {
                            format!("{time}{frac}")
                        } else {
                            time.to_owned()
                        };
                        for zone in ["Z", "z", "+00", "-15", "+1559", "-0530", "+05:30", "-15:59"] {
                            let s = format!("{date}{sep}{time}{zone}");
                            let fast = iso_timestamp(s.as_bytes()).map(utc_text);
                            assert!(fast.is_some(), "{s}");
                            assert_eq!(fast, Some(timestamptz_full(&s)), "{s}");
                            n += 1;
                        }
                    }
                }
            }
        }
        assert!(n > 1000);
        // Shapes the fast path leaves to the decoder.
        for s in [
            "2024-01-31T24:00:00Z",
            "2024-01-31T10:00:60Z",
            "2024-01-31T10:00:00.1234567Z",
            "2024-01-31T10:00:00.Z",
            "2024-01-31T10:00:00+16",
            "2024-01-31T10:00:00+05:30:00",
            "2024-01-31T10:00.5Z",
            "0000-01-01T10:00Z",
            "2024-02-30T10:00Z",
            "2024-01-31T10:00",
        ] {
            assert_eq!(iso_timestamp(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn julian_round_trip() {
        for j in [0, 1_721_426, 2_451_545, 5_373_484, DATE_END_JULIAN - 1] {
            let (y, m, d) = j2date(j);
            assert_eq!(date2j(y, m, d), j);
        }
    }
}
