//! `ltree_in`, `lquery_in` and `ltxtquery_in` of PostgreSQL 15's ltree extension: which
//! strings they accept. Their output repeats the input, so the text is sent as given.
//!
//! Labels are letters, digits and `_` at most 255 characters long. Whether a non-ASCII
//! character is a letter depends on the database's `LC_CTYPE`, so non-ASCII text is refused.

use super::c::{atoi, is_space};
use super::{Bad, Refusal};

const LABEL_MAX: usize = 255;
const MAX_LEVELS: usize = u16::MAX as usize;
/// Deepest `(` nesting of an ltxtquery we accept: PostgreSQL's own limit comes from its
/// `max_stack_depth` setting (about 4,000 levels with the default 2MB).
pub(crate) const LTXTQUERY_MAX_NESTING: usize = 1000;

/// Whether each byte is a label character: an ASCII letter or digit, or `_`.
const LABEL_CHARS: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c as u8).is_ascii_alphanumeric() || c as u8 == b'_';
        c += 1;
    }
    t
};

#[inline]
fn is_label_char(c: u8) -> bool {
    LABEL_CHARS[usize::from(c)]
}

fn ascii(s: &str) -> Result<&[u8], Bad> {
    if s.is_ascii() {
        Ok(s.as_bytes())
    } else {
        Err(Bad::Refused(Refusal::Locale))
    }
}

/// `ltree_in`: labels joined by `.`; the empty string is the empty path. One pass (it is on
/// the hot path); non-ASCII text is refused whatever else is wrong with it.
pub(crate) fn ltree(s: &str) -> Result<(), Bad> {
    let (mut levels, mut len) = (1usize, 0usize);
    let (mut invalid, mut non_ascii) = (false, false);
    for &c in s.as_bytes() {
        if c == b'.' {
            invalid |= len == 0;
            levels += 1;
            len = 0;
        } else {
            len += 1;
            invalid |= !is_label_char(c) || len > LABEL_MAX;
            non_ascii |= c >= 0x80;
        }
    }
    // Lengths count bytes, which are characters in ASCII (anything else is refused).
    invalid |= (len == 0 && !s.is_empty()) || levels > MAX_LEVELS;
    if non_ascii {
        Err(Bad::Refused(Refusal::Locale))
    } else if invalid {
        Err(Bad::Invalid)
    } else {
        Ok(())
    }
}

/// `lquery_in`: levels joined by `.`; a level is `*` with an optional `{n}`, `{n,}`, `{,m}`,
/// `{n,m}` quantifier, or `[!]label[flags]|label[flags]…` (flags `@`, `*`, `%`) with an
/// optional quantifier.
pub(crate) fn lquery(s: &str) -> Result<(), Bad> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum St {
        Level,
        Delim,
        Open,
        FirstNum,
        SecondNum,
        NumEnd,
        Close,
        End,
        Var,
    }
    let b = ascii(s)?;
    if b.iter().filter(|&&c| c == b'.').count() + 1 > MAX_LEVELS {
        return Err(Bad::Invalid);
    }
    let bad = Err(Bad::Invalid);
    let mut st = St::Level;
    // The current label: its start and whether a flag has been seen.
    let mut label_start = 0usize;
    let mut flagged = false;
    let mut low: i32 = 0;
    // A label ends at `end`: flags are backed over; it must not be empty or too long.
    let finish = |start: usize, end: usize| -> Result<(), Bad> {
        let mut e = end;
        while e > start && matches!(b[e - 1], b'@' | b'*' | b'%') {
            e -= 1;
        }
        if e == start || e - start > LABEL_MAX {
            return Err(Bad::Invalid);
        }
        Ok(())
    };
    for (i, &c) in b.iter().enumerate() {
        match st {
            St::Level => {
                low = 0;
                if is_label_char(c) {
                    label_start = i;
                    flagged = false;
                    st = St::Delim;
                } else if c == b'!' {
                    label_start = i + 1;
                    flagged = false;
                    st = St::Delim;
                } else if c == b'*' {
                    st = St::Open;
                } else {
                    return bad;
                }
            }
            St::Var => {
                if is_label_char(c) {
                    label_start = i;
                    flagged = false;
                    st = St::Delim;
                } else {
                    return bad;
                }
            }
            St::Delim => match c {
                b'@' | b'*' | b'%' => flagged = true,
                b'|' => {
                    finish(label_start, i)?;
                    st = St::Var;
                }
                b'{' => {
                    finish(label_start, i)?;
                    st = St::FirstNum;
                }
                b'.' => {
                    finish(label_start, i)?;
                    st = St::Level;
                }
                c if is_label_char(c) => {
                    if flagged {
                        return bad;
                    }
                }
                _ => return bad,
            },
            St::Open => match c {
                b'{' => st = St::FirstNum,
                b'.' => st = St::Level,
                _ => return bad,
            },
            St::FirstNum => {
                if c == b',' {
                    st = St::SecondNum;
                } else if c.is_ascii_digit() {
                    low = atoi(&b[i..]);
                    if !(0..=MAX_LEVELS as i32).contains(&low) {
                        return bad;
                    }
                    st = St::NumEnd;
                } else {
                    return bad;
                }
            }
            St::SecondNum => {
                if c.is_ascii_digit() {
                    let high = atoi(&b[i..]);
                    // The low limit was stored as a uint16.
                    if !(0..=MAX_LEVELS as i32).contains(&high) || low > high {
                        return bad;
                    }
                    st = St::Close;
                } else if c == b'}' {
                    st = St::End;
                } else {
                    return bad;
                }
            }
            St::Close => {
                if c == b'}' {
                    st = St::End;
                } else if !c.is_ascii_digit() {
                    return bad;
                }
            }
            St::NumEnd => {
                if c == b'}' {
                    st = St::End;
                } else if c == b',' {
                    st = St::SecondNum;
                } else if !c.is_ascii_digit() {
                    return bad;
                }
            }
            St::End => {
                if c == b'.' {
                    st = St::Level;
                } else {
                    return bad;
                }
            }
        }
    }
    match st {
        St::Delim => finish(label_start, b.len()),
        St::Open | St::End => Ok(()),
        _ => bad,
    }
}

/// `ltxtquery_in`: labels (with `@`, `*`, `%` flags) combined by `&`, `|`, `!` and
/// parentheses.
pub(crate) fn ltxtquery(s: &str) -> Result<(), Bad> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum St {
        WaitOperand,
        InOperand,
        WaitOperator,
    }
    let b = ascii(s)?;
    let bad = Err(Bad::Invalid);
    let mut st = St::WaitOperand;
    // Pending operators per nesting level (`makepol`'s stack, at most 32 deep).
    let mut stacks: Vec<Vec<u8>> = vec![Vec::new()];
    let mut operand_start = 0usize;
    let mut flagged = false;
    let mut i = 0usize;
    // After a value (or a closed group), `&` and `!` waiting on this level apply.
    fn reduce(stack: &mut Vec<u8>) {
        while matches!(stack.last(), Some(b'&' | b'!')) {
            stack.pop();
        }
    }
    fn push_op(stack: &mut Vec<u8>, op: u8) -> Result<(), Bad> {
        if !stack.is_empty() && op == b'|' {
            return Ok(());
        }
        if stack.len() == 32 {
            return Err(Bad::Invalid);
        }
        stack.push(op);
        Ok(())
    }
    loop {
        let c = b.get(i).copied().unwrap_or(0);
        let level = stacks.len() - 1;
        match st {
            St::WaitOperand => {
                if c == b'!' {
                    push_op(&mut stacks[level], c)?;
                } else if c == b'(' {
                    if stacks.len() > LTXTQUERY_MAX_NESTING {
                        return Err(Bad::Refused(Refusal::Nesting));
                    }
                    stacks.push(Vec::new());
                } else if is_label_char(c) {
                    st = St::InOperand;
                    operand_start = i;
                    flagged = false;
                } else if !is_space(c) {
                    return bad;
                }
            }
            St::InOperand => {
                if is_label_char(c) {
                    if flagged {
                        return bad;
                    }
                } else if matches!(c, b'%' | b'@' | b'*') {
                    flagged = true;
                } else {
                    let len = b[operand_start..i]
                        .iter()
                        .filter(|&&c| is_label_char(c))
                        .count();
                    if len > LABEL_MAX {
                        return bad;
                    }
                    reduce(&mut stacks[level]);
                    st = St::WaitOperator;
                    continue; // the same character, in the new state
                }
            }
            St::WaitOperator => {
                if c == b'&' || c == b'|' {
                    push_op(&mut stacks[level], c)?;
                    st = St::WaitOperand;
                } else if c == b')' {
                    if level == 0 {
                        return bad;
                    }
                    stacks.pop();
                    reduce(&mut stacks[level - 1]);
                } else if c == 0 {
                    return if level == 0 { Ok(()) } else { bad };
                } else if c != b' ' {
                    return bad;
                }
            }
        }
        if c == 0 {
            // Only WaitOperand reaches the end without returning: no operand follows.
            return bad;
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ltrees() {
        for ok in ["", "top", "top.science_2", &"a".repeat(255)] {
            assert_eq!(ltree(ok), Ok(()), "{ok}");
        }
        for bad in ["top..science", ".a", "a.", " a", "a-b", &"a".repeat(256)] {
            assert_eq!(ltree(bad), Err(Bad::Invalid), "{bad}");
        }
        assert_eq!(ltree("é"), Err(Bad::Refused(Refusal::Locale)));
    }

    #[test]
    fn lqueries() {
        for ok in [
            "*",
            "*.a",
            "a.*",
            "*{1}",
            "*{1,2}.a",
            "*{,}",
            "a{2,}",
            "!a|b@*%",
            "a**",
            "top.*",
            "*.science.*",
            "a|b|c.d",
        ] {
            assert_eq!(lquery(ok), Ok(()), "{ok}");
        }
        for bad in [
            "", "a.", ".a", "a|!b", "a@b", "!@", "*{2,1}", "a{", "*a", "a b", "a||b",
        ] {
            assert_eq!(lquery(bad), Err(Bad::Invalid), "{bad}");
        }
    }

    #[test]
    fn ltxtqueries() {
        for ok in [
            " a",
            "a ",
            "a  &  b",
            "!a",
            "!!a",
            "(a)",
            "a|b",
            "a & (b | !c)",
            "a@*%",
        ] {
            assert_eq!(ltxtquery(ok), Ok(()), "{ok}");
        }
        for bad in ["", "a\tb", "a@b", "a b", "a &", "()", "a)", "(a", "|a"] {
            assert_eq!(ltxtquery(bad), Err(Bad::Invalid), "{bad}");
        }
        assert_eq!(ltxtquery(&format!("{}a", "!".repeat(32))), Ok(()));
        assert_eq!(
            ltxtquery(&format!("{}a", "!".repeat(33))),
            Err(Bad::Invalid)
        );
    }
}
