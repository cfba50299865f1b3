//! Names: which spellings are valid where (SQL identifiers, GraphQL names, JSON keys), and
//! the camelCase ⇄ snake_case conversions. Shared by the registry (which indexes camelCase
//! aliases) and the compiler (which converts spellings the aliases do not cover).

use smallvec::SmallVec;

/// Longest SQL identifier PostgreSQL keeps (NAMEDATALEN - 1).
const MAX_IDENT: usize = 63;
/// Longest JSON key (and GraphQL name) the registry and queries accept.
pub(crate) const MAX_KEY: usize = 255;

/// A SQL identifier the registry accepts: `[A-Za-z_][A-Za-z0-9_]*`, at most 63 bytes.
/// Anything else is refused, so quoting never has to rescue a hostile name.
pub(crate) fn is_sql_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_IDENT
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// A GraphQL name: `[_A-Za-z][_0-9A-Za-z]*` (output keys, aliases, typenames).
pub(crate) fn is_graphql_name(s: &str) -> bool {
    /// 1: may start a name, 2: may continue one.
    const CLASS: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut c = 0;
        while c < 256 {
            let b = c as u8;
            if b.is_ascii_alphabetic() || b == b'_' {
                t[c] = 3;
            } else if b.is_ascii_digit() {
                t[c] = 2;
            }
            c += 1;
        }
        t
    };
    let b = s.as_bytes();
    match b.split_first() {
        Some((first, rest)) => {
            b.len() <= MAX_KEY
                && CLASS[*first as usize] & 1 != 0
                && rest.iter().all(|c| CLASS[*c as usize] & 2 != 0)
        }
        None => false,
    }
}

/// A JSON key the registry accepts: 1 to 255 bytes, no NUL.
pub(crate) fn is_json_key(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_KEY && !s.contains('\0')
}

/// A name converted to snake_case without touching the heap: borrowed when there is nothing
/// to change, else built in an inline buffer (heap only past 64 bytes).
#[derive(Debug)]
pub(crate) enum Snake<'n> {
    Same(&'n str),
    Built(SmallVec<[u8; 64]>),
}

impl Snake<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Snake::Same(s) => s,
            // Only ASCII bytes are inserted or changed, so the buffer stays valid UTF-8.
            Snake::Built(b) => std::str::from_utf8(b).unwrap_or_default(),
        }
    }

    pub(crate) fn into_owned(self) -> String {
        self.as_str().to_owned()
    }
}

impl std::ops::Deref for Snake<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Snake<'_> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<&str> for Snake<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// camelCase -> snake_case (`createdAt` -> `created_at`, `userID` -> `user_id`,
/// `HTTPStatus` -> `http_status`), or the name itself when `camel` is off.
pub(crate) fn snake(name: &str, camel: bool) -> Snake<'_> {
    if !camel || !name.bytes().any(|b| b.is_ascii_uppercase()) {
        return Snake::Same(name);
    }
    let b = name.as_bytes();
    let mut out: SmallVec<[u8; 64]> = SmallVec::with_capacity(name.len() + 4);
    for (i, &c) in b.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = if i > 0 { b[i - 1] } else { b'_' };
            let next_lower = b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            if i > 0
                && prev != b'_'
                && (prev.is_ascii_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_ascii_uppercase() && next_lower))
            {
                out.push(b'_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    Snake::Built(out)
}

/// The camelCase spelling of a registry name (`nick_name` -> `nickName`), as the compiler's
/// camelCase lookups accept it.
pub fn camel_case(name: &str) -> String {
    to_camel(name)
}

/// The snake_case name a camelCase name is looked up as (`createdAt` -> `created_at`).
pub fn snake_case(name: &str) -> String {
    snake(name, true).as_str().to_owned()
}

/// `nick_name` -> `nickName`.
pub(crate) fn to_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for (i, c) in name.chars().enumerate() {
        if c == '_' && i > 0 {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{snake, to_camel};

    #[test]
    fn camel_to_snake() {
        for (a, b) in [
            ("createdAt", "created_at"),
            ("userID", "user_id"),
            ("HTTPStatus", "http_status"),
            ("address1", "address1"),
            ("line1Name", "line1_name"),
            ("already_snake", "already_snake"),
            ("_private", "_private"),
        ] {
            assert_eq!(snake(a, true), b, "{a}");
        }
        assert_eq!(to_camel("nick_name"), "nickName");
        assert_eq!(to_camel("_private"), "_private");
    }
}
